#!/usr/bin/env bash
# System tools the test suite needs: Debian's Chromium (browser tests) and gettext
# (the catalogue check). Installed from Debian's packages when missing.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null; } || {
    echo "ERROR: could not install ${missing[*]} (apt-get). Browser tests need /usr/bin/chromium." >&2
    exit 3
  }
fi
exit 0
