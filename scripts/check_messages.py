"""Fail when `makemessages` would change the catalogue's msgids, or a msgid lacks Chinese."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def msgids(path: Path) -> dict[str, str]:
    """msgid → msgstr from a .po file (plain parser; enough for our catalogue)."""
    import re

    entries: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            entries[f"FUZZY:{block[:80]}"] = ""
        m_id = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        m_ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
        m_str = re.search(r"^msgstr(?:\[0\])? ((?:\".*\"\n?)+)", block, re.M)
        if not m_id:
            continue
        join = lambda s: "".join(part[1:-1] for part in s.strip().split("\n"))  # noqa: E731
        key = (join(m_ctx.group(1)) + "\x04" if m_ctx else "") + join(m_id.group(1))
        if key:
            entries[key] = join(m_str.group(1)) if m_str else ""
    return entries


def main() -> int:
    if not PO.exists():
        print(f"Missing catalogue {PO}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(
                ".venv", ".git", "media", "staticfiles", "*.sqlite3", "node_modules", "bench"
            ),
        )
        env = dict(os.environ, DEBUG="1")
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--add-location", "file"],
            cwd=copy,
            env=env,
            check=True,
            capture_output=True,
        )
        fresh = msgids(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    current = msgids(PO)
    added = sorted(set(fresh) - set(current))
    removed = sorted(set(current) - set(fresh))
    untranslated = sorted(k for k, v in current.items() if not v)
    ok = True
    if added or removed:
        ok = False
        print("The catalogue is out of date: run `make messages` and translate.", file=sys.stderr)
        for k in added[:30]:
            print(f"  + {k!r}", file=sys.stderr)
        for k in removed[:30]:
            print(f"  - {k!r}", file=sys.stderr)
    if untranslated:
        ok = False
        print("Messages without a Chinese translation (or fuzzy):", file=sys.stderr)
        for k in untranslated[:30]:
            print(f"  {k!r}", file=sys.stderr)
    if ok:
        print(f"Catalogue up to date: {len(current)} messages, all translated.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
