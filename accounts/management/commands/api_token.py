"""manage.py api_token <username> [--revoke]: print (creating it if needed) or revoke a user's API token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import api_token_issue, api_token_revoke


class Command(BaseCommand):
    help = "Print a user's REST API token, creating it if they have none; or revoke it with --revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Delete the token; clients using it stop working.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if options["revoke"]:
            if api_token_revoke(user=user):
                self.stdout.write(f"Revoked the API token of {username}.")
            else:
                self.stdout.write(f"{username} had no API token.")
            return
        try:
            key = api_token_issue(user=user)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(key)
