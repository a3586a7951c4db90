#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/test_web_browser.py), only if it is missing.
# Needs root (apt-get); scripts/test.sh calls it when present. Without Chromium the browser tests skip.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser: /usr/bin/chromium is missing and this is not root; the browser tests will skip" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here; install Chromium at /usr/bin/chromium by hand, or the browser tests skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends chromium; }; then
  echo "install-browser: could not install chromium; the browser tests will skip" >&2
fi
exit 0
