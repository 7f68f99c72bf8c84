#!/usr/bin/env bash
# The PyPI path end to end: `maturin build` of the wheel (bindings = "bin": the binary in the
# wheel's scripts, no Python code), installed into a fresh venv and driven by the Python MCP SDK;
# then served from a package index on loopback (PEP 503 pages from python's http.server) and run
# in a fresh HOME the way the README says: `uvx backup-mcp@VERSION` and `pipx run`.
# Usage: run_pypi.sh PATH_TO_BINARY (the built binary the wheel's must agree with)
# The wheel is built with the dev profile into its own cached target folder (a wheel-only build
# resolves other dependency features than `cargo test`, and must not replace target/debug's
# binary); releases build with --release (release.yml).
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$(dirname "$0")/lib.sh"
tools=$(py_venv pytools-maturin-1.16.0 'maturin==1.16.0' 'uv==0.13.8' 'pipx==1.18.4')
version=$(cargo_version)
check_scaffold pypi

started=$(date +%s)
(cd "$repo" && CARGO_TARGET_DIR="${BACKUP_MCP_WHEEL_TARGET:-$cache/target-wheel}" \
  "$tools/bin/maturin" build --locked --profile dev --out "$work/dist" >"$work/maturin.log" 2>&1) ||
  { cat "$work/maturin.log"; fail "maturin build"; }
wheel=$(ls "$work"/dist/backup_mcp-"$version"-*.whl)
ok "maturin build: $(basename "$wheel") in $(($(date +%s) - started)) s"
python3 - "$wheel" "$version" <<'PY' || fail "wheel contents"
import sys, zipfile
wheel, version = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
assert f"backup_mcp-{version}.data/scripts/backup-mcp" in names, names
assert not [n for n in names if n.endswith(".py")], "the wheel carries Python code"
meta = zipfile.ZipFile(wheel).read(f"backup_mcp-{version}.dist-info/METADATA").decode()
assert "mcp-name: io.github.backup-mcp/backup-mcp" in meta, "README's mcp-name line missing"
PY
ok "the wheel holds the binary as a script, no Python code, and the mcp-name line"

# A fresh venv, offline.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --disable-pip-version-check "$wheel" || fail "pip install"
out=$("$work/venv/bin/backup-mcp" --version)
[ "$out" = "$("$binary" --version)" ] || fail "wheel's --version '$out' differs from the built binary's"
ok "pip install into a fresh venv: $out"
PATH="$work/venv/bin:$PATH" mcp_client --inherit-env backup-mcp serve >"$work/client.log" 2>&1 ||
  { cat "$work/client.log"; fail "MCP client over the venv's backup-mcp"; }
grep -v ' INFO ' "$work/client.log" | sed 's/^/  /'
ok "MCP client spawning the venv's backup-mcp serve"

# A package index on loopback holding only this wheel.
mkdir -p "$work/index/simple/backup-mcp"
cp "$wheel" "$work/index/simple/backup-mcp/"
name=$(basename "$wheel")
printf '<!DOCTYPE html><html><body><a href="backup-mcp/">backup-mcp</a></body></html>\n' \
  >"$work/index/simple/index.html"
printf '<!DOCTYPE html><html><body><a href="%s">%s</a></body></html>\n' "$name" "$name" \
  >"$work/index/simple/backup-mcp/index.html"
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$work/index" "$port" >"$work/index.log" 2>&1 &
pids+=($!)
wait_port "$port"
index="http://127.0.0.1:$port/simple"

# A fresh user whose only index is that one; uv and pipx come from the tools venv.
export HOME="$work/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL \
  UV_INDEX_URL UV_EXTRA_INDEX_URL PIPX_HOME PIPX_BIN_DIR DBUS_SESSION_BUS_ADDRESS BACKUP_MCP_CREDENTIALS_FILE
export PATH="$tools/bin:$PATH" UV_DEFAULT_INDEX="$index" PIP_INDEX_URL="$index" UV_PYTHON_DOWNLOADS=never

out=$(uvx --offline --from "$wheel" backup-mcp --version 2>"$work/uv.err") || { cat "$work/uv.err"; fail "uvx --offline --from WHEEL"; }
[ "$out" = "backup-mcp $version" ] || fail "uvx --from printed '$out'"
ok "uvx --offline --from $name backup-mcp --version: $out"

out=$(uvx "backup-mcp@$version" --version 2>"$work/uv.err") || { cat "$work/uv.err"; fail "uvx backup-mcp@$version"; }
[ "$out" = "backup-mcp $version" ] || fail "uvx printed '$out'"
ok "uvx backup-mcp@$version --version: $out"
mcp_client --inherit-env uvx "backup-mcp@$version" serve >"$work/client.log" 2>&1 ||
  { cat "$work/client.log"; fail "MCP client over uvx"; }
ok "MCP client spawning uvx backup-mcp@$version serve"

out=$(pipx run --spec "backup-mcp==$version" backup-mcp --version 2>"$work/pipx.err") ||
  { cat "$work/pipx.err"; fail "pipx run"; }
[ "$out" = "backup-mcp $version" ] || fail "pipx run printed '$out'"
ok "pipx run --spec backup-mcp==$version backup-mcp --version: $out"

echo "pypi: $passed passed, 0 failed"
