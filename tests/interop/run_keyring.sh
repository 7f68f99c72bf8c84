#!/usr/bin/env bash
# End-to-end check of the OS keyring store with a real Secret Service (gnome-keyring on a private
# D-Bus session): login saves the password in the keyring and not in the file, a new process
# reads it back for `test`, logout deletes it. Usage: run_keyring.sh PATH_TO_BINARY
# Installs Debian's gnome-keyring when it can (root with apt-get); where no Secret Service can be
# had it says so and exits 0, since a machine without a desktop keyring is a supported setup
# (the file store, tested by `cargo test`).
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v gnome-keyring-daemon >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  timeout 300 apt-get install -y -q gnome-keyring dbus >/dev/null 2>&1 || true
fi
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "keyring check not run: gnome-keyring / dbus-run-session are not installed on this machine"
  exit 0
fi
if [ -z "${IN_KEYRING_SESSION:-}" ]; then
  IN_KEYRING_SESSION=1 exec dbus-run-session -- bash "$0" "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
fi
work=$(mktemp -d)
trap 'kill $stub 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work" XDG_CONFIG_HOME="$work/config" BACKUP_MCP_TIMEOUT_SECONDS=5
# Create and unlock the session's default ("login") collection, as a desktop login would.
echo -n "unlock-$RANDOM" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
password="keyring-check-$RANDOM-$RANDOM"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$here/keyring_backrest_stub.py" "$port" "$password" &
stub=$!
sleep 0.5
fail() { echo "keyring: 0 passed, 1 failed ($1)"; exit 1; }
out=$(echo "$password" | "$binary" login --kind backrest --server-id kr1 \
  --url "http://127.0.0.1:$port" --username gw --password-stdin --credential-store keyring 2>&1) \
  || fail "login: $out"
grep -q "OS keyring" <<<"$out" || fail "login did not use the keyring: $out"
grep -q "$password" "$XDG_CONFIG_HOME/backup-mcp/credentials.json" && fail "password written to the file"
"$binary" list --json | grep -q '"credential_store":"keyring"' || fail "list does not show the keyring"
"$binary" test kr1 >/dev/null || fail "a new process could not read the secret back"
"$binary" logout kr1 >/dev/null || fail "logout"
echo "$password" | "$binary" test kr1 >/dev/null 2>&1 && fail "server still present after logout"
if command -v secret-tool >/dev/null; then
  secret-tool search --all service backup-mcp 2>/dev/null | grep -q "kr1" \
    && fail "secret still in the keyring after logout"
fi
echo "keyring: 5 passed, 0 failed"
