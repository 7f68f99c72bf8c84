#!/usr/bin/env bash
# Runs the Python SDK interop check against a built backup-mcp binary (path in $1).
# The SDK is installed once into a venv cached outside the clone.
set -euo pipefail
binary="$1"
venv="${BACKUP_MCP_PY_VENV:-$HOME/.cache/backup-mcp/py-mcp-2.3.0}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mcp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'mcp==2.3.0'
fi
exec "$venv/bin/python" "$(dirname "$0")/python_client.py" "$binary"
