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
  # Wait for another install's dpkg/apt lock (up to 10 minutes) instead of failing at once.
  apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  "${apt[@]}" install "${missing[@]}" >/dev/null 2>&1 || { "${apt[@]}" update >/dev/null 2>&1 && "${apt[@]}" install "${missing[@]}" >/dev/null; } || {
    echo "ERROR: could not install ${missing[*]} (apt-get). Browser tests need /usr/bin/chromium." >&2
    exit 3
  }
fi
exit 0
