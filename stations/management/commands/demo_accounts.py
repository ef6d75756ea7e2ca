"""`manage.py demo_accounts`: who to log in as, for each role."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from stations.demo.accounts import demo_accounts_table


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Print the demo accounts: username, password, role and what each one is scoped to."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_accounts_table()
        if not rows:
            self.stdout.write(_("There are no demo accounts yet. Run: python manage.py seed_demo"))
            return
        header = (_("Username"), _("Password"), _("Role"), _("Scope"))
        table = [header, *rows]
        widths = [max(_width(row[i]) for row in table) for i in range(3)]
        self.stdout.write(_("Demo accounts (log in at http://127.0.0.1:8000/):"))
        for row in table:
            self.stdout.write("  ".join([*(_pad(row[i], widths[i]) for i in range(3)), row[3]]).rstrip())
