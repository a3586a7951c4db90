#!/usr/bin/env bash
# Install the pinned environment into .venv and run the whole test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ -x scripts/install-browser.sh ]; then bash scripts/install-browser.sh; fi
.venv/bin/ruff check src tests
exec .venv/bin/python -m pytest -n 2 "$@"
