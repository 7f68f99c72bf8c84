#!/usr/bin/env bash
# The npm path end to end, on Node 22: assembles the packages from a built binary, publishes them
# to a private registry (verdaccio) on loopback, then in a fresh HOME that knows only that
# registry runs what the README tells users to run:
#   npx -y backup-mcp@VERSION --version
#   npx -y backup-mcp@VERSION login ... --password-stdin   (against a Backrest stub)
#   an MCP client (the Python SDK) spawning `npx -y backup-mcp@VERSION serve`
# and that the server ends when its stdin closes, on SIGTERM to the launcher (exec'd into the
# binary on Node 22; spawning it, on the machine's older Node), and after SIGTERM to npx.
# Usage: run_npm.sh PATH_TO_BINARY
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$(dirname "$0")/lib.sh"
node_before=$(command -v node || true) # the machine's own Node, for the spawn path below
use_node22
verdaccio=$(npm_tools verdaccio-6.8.0 verdaccio@6.8.0)
version=$(cargo_version)
check_scaffold npm
binary=$(packaged_copy "$binary" "$work")

# 1. Assemble: this platform's package from the binary, the seven others from a stand-in (npm
# must skip them by os/cpu/libc, as it will for the real ones).
key=$(platform_key)
printf '#!/bin/sh\necho "stand-in binary"; exit 3\n' >"$work/stand-in"
pairs=()
for k in $(node -e "console.log(Object.keys(require('$repo/npm/backup-mcp/lib/platform.js').PLATFORMS).join(' '))"); do
  if [ "$k" = "$key" ]; then pairs+=("$k=$binary"); else pairs+=("$k=$work/stand-in"); fi
done
node "$repo/npm/assemble.js" "$work/pkgs" "${pairs[@]}" >/dev/null

# 2. A private registry on loopback with no uplink: nothing can come from the public registry.
port=$(free_port)
registry="http://127.0.0.1:$port/"
cat >"$work/verdaccio.yaml" <<EOF
storage: $work/storage
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: 1
uplinks: {}
packages:
  '**':
    access: \$all
    publish: \$authenticated
max_body_size: 500mb
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
EOF
node "$verdaccio/node_modules/verdaccio/bin/verdaccio" --config "$work/verdaccio.yaml" \
  --listen "127.0.0.1:$port" >"$work/verdaccio.log" 2>&1 &
pids+=($!)
wait_port "$port" 60 || { cat "$work/verdaccio.log"; fail "verdaccio did not start"; }
token=$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"ci","password":"ci-publisher-pw"}' "${registry}-/user/org.couchdb.user:ci" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "no publish token"
printf '//127.0.0.1:%s/:_authToken=%s\n' "$port" "$token" >"$work/publish.npmrc"
for dir in "$work"/pkgs/backup-mcp-* "$work/pkgs/backup-mcp"; do
  npm publish "$dir" --registry "$registry" --userconfig "$work/publish.npmrc" \
    --cache "$work/publish-cache" --loglevel=error >/dev/null 2>"$work/publish.err" ||
    { cat "$work/publish.err"; fail "npm publish $(basename "$dir")"; }
done
ok "published $(ls "$work/pkgs" | wc -l) packages at $version to $registry"

# 3. A fresh user: empty HOME whose only npm setting is the registry, no keyring, no saved
# servers, nothing of ours on PATH.
export HOME="$work/home"
mkdir -p "$HOME"
echo "registry=$registry" >"$HOME/.npmrc"
for v in $(env | sed -n 's/^\(npm_config_[^=]*\)=.*/\1/ip'); do unset "$v"; done
unset XDG_CONFIG_HOME DBUS_SESSION_BUS_ADDRESS BACKUP_MCP_CREDENTIALS_FILE MCP_CREDENTIALS_FILE
export BACKUP_MCP_TIMEOUT_SECONDS=10

out=$(npx -y "backup-mcp@$version" --version 2>"$work/npx.err") || { cat "$work/npx.err"; fail "npx --version"; }
[ "$out" = "backup-mcp $version" ] || fail "npx --version printed '$out'"
ok "npx -y backup-mcp@$version --version: $out"

stub_port=$(free_port)
password="npm-check-$RANDOM-$RANDOM"
python3 "$here/keyring_backrest_stub.py" "$stub_port" "$password" &
pids+=($!)
wait_port "$stub_port"
out=$(echo "$password" | npx -y "backup-mcp@$version" login --kind backrest --server-id nas01 \
  --url "http://127.0.0.1:$stub_port" --username gateway --password-stdin 2>&1) || fail "login: $out"
npx -y "backup-mcp@$version" list --json | grep -q '"server_id":"nas01"' || fail "list lacks nas01"
ok "npx -y backup-mcp@$version login ... --password-stdin saved nas01"
echo "wrong-$password" | npx -y "backup-mcp@$version" login --kind backrest --server-id nas02 \
  --url "http://127.0.0.1:$stub_port" --username gateway --password-stdin >/dev/null 2>&1 &&
  fail "login with a wrong password succeeded"
ok "login with a wrong password exits non-zero"

mcp_client --inherit-env --expect-server nas01 npx -y "backup-mcp@$version" serve >"$work/client.log" 2>&1 ||
  { cat "$work/client.log"; fail "MCP client over npx"; }
grep -v ' INFO ' "$work/client.log" | sed 's/^/  /'
ok "MCP client spawning npx -y backup-mcp@$version serve"

# 4. Shutdown. With Node >= 22.15 the launcher replaces itself with the binary (execve), so the
# process under npm's `sh -c` *is* the server. A client ends a stdio server by closing its stdin,
# then SIGTERM; each must end it.
# serve_and_find: starts the server under npx with stdin held open (fd 7); sets npx_pid, server_pid.
serve_and_find() {
  rm -f "$work/stdin" && mkfifo "$work/stdin"
  npx -y "backup-mcp@$version" serve <"$work/stdin" >/dev/null 2>"$work/serve.err" &
  npx_pid=$!
  exec 7>"$work/stdin"
  pids+=("$npx_pid")
  server_pid=""
  for _ in $(seq 1 300); do
    for p in $(descendants "$npx_pid"); do
      if [ "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null)")" = backup-mcp ]; then server_pid=$p; fi
    done
    [ -n "$server_pid" ] && pids+=("$server_pid") && return 0
    sleep 0.1
  done
  fail "no backup-mcp process under npx"
}
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; } # a zombie has ended
gone_within() { # gone_within SECONDS PID...
  for _ in $(seq 1 $(($1 * 10))); do
    local any=0
    for p in "${@:2}"; do alive "$p" && any=1; done
    [ "$any" = 0 ] && return 0
    sleep 0.1
  done
  for p in "${@:2}"; do ps -o pid= -o ppid= -o stat= -o args= -p "$p" || true; done
  return 1
}

serve_and_find
parent=$(awk '/^PPid:/ {print $2}' "/proc/$server_pid/status")
[ "$(basename "$(readlink "/proc/$parent/exe")")" = node ] && fail "the launcher spawned the binary instead of exec'ing it"
exec 7>&-
gone_within 5 "$npx_pid" "$server_pid" || fail "closing stdin left npx or the server running"
ok "closing stdin ends the server (pid $server_pid, the launcher exec'd into it) and npx"

serve_and_find
kill -TERM "$server_pid"
gone_within 5 "$npx_pid" "$server_pid" || fail "SIGTERM to the launcher left npx or the server running"
exec 7>&-
ok "SIGTERM to the launcher ends the server and npx"

serve_and_find
kill -TERM "$npx_pid"
gone_within 5 "$npx_pid" || fail "SIGTERM to npx did not end npx"
sleep 0.5
if alive "$server_pid"; then
  # npm forwards the signal to its `sh -c`, which dies without passing it on: the server
  # outlives npx until its stdin closes (which the client's exit does).
  echo "note: after SIGTERM to npx the server runs on until its stdin closes (npm's sh -c does not forward it)"
fi
exec 7>&-
gone_within 5 "$server_pid" || fail "SIGTERM to npx and a closed stdin left the server running"
ok "SIGTERM to npx, then stdin closed, ends the server"

# 5. A Node without process.execve (before 22.15: the machine's Node 20 here): the launcher spawns
# the binary and must pass SIGTERM on to it.
launcher=$(ls "$HOME"/.npm/_npx/*/node_modules/backup-mcp/bin/backup-mcp.js | head -1)
if [ -n "$node_before" ] && "$node_before" -e 'process.exit(typeof process.execve === "function" ? 1 : 0)'; then
  rm -f "$work/stdin" && mkfifo "$work/stdin"
  "$node_before" "$launcher" serve <"$work/stdin" >/dev/null 2>"$work/serve.err" &
  launcher_pid=$!
  exec 7>"$work/stdin"
  pids+=("$launcher_pid")
  server_pid=""
  for _ in $(seq 1 300); do
    for p in $(descendants "$launcher_pid"); do
      if [ "$(basename "$(readlink "/proc/$p/exe" 2>/dev/null)")" = backup-mcp ]; then server_pid=$p; fi
    done
    [ -n "$server_pid" ] && break
    sleep 0.1
  done
  [ -n "$server_pid" ] || fail "no backup-mcp process under the launcher on $("$node_before" --version)"
  pids+=("$server_pid")
  kill -TERM "$launcher_pid"
  gone_within 5 "$launcher_pid" "$server_pid" || fail "SIGTERM to the spawning launcher left the server running"
  exec 7>&-
  ok "Node $("$node_before" --version) (no execve): SIGTERM to the launcher ends the server it spawned"
else
  echo "note: no Node without process.execve on this machine; the spawn path is covered by npm/test/"
fi

echo "npm: $passed passed, 0 failed"
