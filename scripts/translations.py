"""Refresh the Chinese catalogue: makemessages, fill msgstr from the translation
memory in locale/zh_Hans/translations/*.json, and compile the .mo file.

Each JSON file maps English msgids to Chinese, one file per area of the code, so
several people can add strings at once without editing the same file.
Usage: python scripts/translations.py  (run by `make messages`)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "zh_Hans"
PO = LOCALE / "LC_MESSAGES" / "django.po"


def memory() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALE / "translations").glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def main() -> int:
    env = dict(os.environ, DEBUG="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "makemessages", "-l", "zh_Hans", "--no-obsolete", "--add-location", "file"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    tm = memory()
    po = polib.pofile(str(PO))
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        text = tm.get(key) or tm.get(entry.msgid)
        if entry.msgid_plural:
            if text:
                entry.msgstr_plural = {0: text}
            elif not entry.msgstr_plural.get(0):
                missing.append(entry.msgid)
        elif text:
            entry.msgstr = text
        elif not entry.msgstr:
            missing.append(entry.msgid)
        if "fuzzy" in entry.flags and (text or entry.msgstr):
            entry.flags.remove("fuzzy")
    po.save(str(PO))
    subprocess.run([*manage, "compilemessages", "-l", "zh_Hans"], cwd=ROOT, env=env, check=True, capture_output=True)
    if missing:
        print(f"{len(missing)} messages still need Chinese (add them to locale/zh_Hans/translations/*.json):")
        for msgid in missing:
            print(f"  {msgid!r}")
        return 1
    print(f"{len(po)} messages, all translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
