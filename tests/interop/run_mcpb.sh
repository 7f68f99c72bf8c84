#!/usr/bin/env bash
# The .mcpb bundle end to end: mcpb/build.js lays out this platform's bundle (manifest generated
# from the binary's own tools/list and prompts), the official CLI (@anthropic-ai/mcpb) validates
# and packs it, and the packed file must unzip to the same manifest and a runnable binary that
# answers an MCP client started the way Claude Desktop starts it (mcp_config resolved by the
# mcpb library itself, with the user_config defaults).
# Usage: run_mcpb.sh PATH_TO_BINARY
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$(dirname "$0")/lib.sh"
use_node22
mcpb_dir=$(npm_tools mcpb-2.1.2 @anthropic-ai/mcpb@2.1.2)
mcpb="$mcpb_dir/node_modules/.bin/mcpb"
version=$(cargo_version)
check_scaffold mcpb
binary=$(packaged_copy "$binary" "$work")

key=$(platform_key)
node "$repo/mcpb/build.js" "$work/bundle" "$key" "$binary" || fail "mcpb/build.js"
python3 - "$work/bundle/manifest.json" "$version" <<'PY' || fail "manifest contents"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["version"] == sys.argv[2], m["version"]
assert m["server"]["type"] == "binary", m["server"]
assert "win32" in m["server"]["mcp_config"]["platform_overrides"], m["server"]
assert m["compatibility"]["platforms"], m["compatibility"]
tools = {t["name"] for t in m["tools"]}
# Generated with every gate open: read tools, write tools and the destructive pair.
for t in ["system_info", "list_failing_jobs", "trigger_backup", "restore_snapshot", "connect_server"]:
    assert t in tools, f"{t} missing from the manifest's tools"
assert len(m["prompts"]) >= 6 and all(p["text"] for p in m["prompts"]), m["prompts"]
env = m["server"]["mcp_config"]["env"]
for var in ["BACKUP_MCP_READONLY", "BACKUP_MCP_ALLOWED_TENANTS", "BACKUP_MCP_RESTORE_ALLOWED_PREFIX", "BACKUP_MCP_AUDIT_LOG"]:
    assert var in env, f"{var} not settable"
assert not any(o.get("sensitive") for o in m["user_config"].values())
assert all("default" in o for o in m["user_config"].values()), "an option without a default"
print(f"manifest: {len(tools)} tools, {len(m['prompts'])} prompts, user_config {sorted(m['user_config'])}")
PY
ok "manifest generated from the binary"

"$mcpb" validate "$work/bundle/manifest.json" >"$work/validate.log" 2>&1 || { cat "$work/validate.log"; fail "mcpb validate"; }
ok "mcpb validate: $(tail -1 "$work/validate.log")"
bundle="$work/backup-mcp-$version-$key.mcpb"
"$mcpb" pack "$work/bundle" "$bundle" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "mcpb pack"; }
ok "mcpb pack: $(basename "$bundle") ($(du -h "$bundle" | cut -f1))"

# What a host gets: unzip (keeping modes) and compare.
mkdir "$work/installed"
unzip -q "$bundle" -d "$work/installed" || fail "unzip"
cmp -s "$work/bundle/manifest.json" "$work/installed/manifest.json" || fail "the packed manifest differs"
exe="$work/installed/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["server"]["entry_point"])' "$work/installed/manifest.json")"
[ -x "$exe" ] || fail "$exe is not executable after unzip"
out=$("$exe" --version) || fail "the unpacked binary does not run"
[ "$out" = "backup-mcp $version" ] || fail "the unpacked binary printed '$out'"
ok "the bundle unzips to the manifest and a runnable binary: $out"

# The command line and environment as the mcpb library resolves them for this platform.
node --input-type=module - "$mcpb_dir" "$work/installed" >"$work/launch" <<'JS' || fail "resolving mcp_config"
import { readFileSync } from "node:fs";
import { join } from "node:path";
const [dir, installed] = process.argv.slice(2);
const { getMcpConfigForManifest } = await import(join(dir, "node_modules/@anthropic-ai/mcpb/dist/shared/config.js"));
const manifest = JSON.parse(readFileSync(join(installed, "manifest.json"), "utf8"));
const c = await getMcpConfigForManifest({ manifest, extensionPath: installed, systemDirs: {}, userConfig: {}, pathSeparator: "/" });
const left = JSON.stringify(c).match(/\$\{[^}]*\}/);
if (left) { console.error(`unreplaced ${left[0]}`); process.exit(1); }
// What a user's choices in the extension settings turn into.
const chosen = await getMcpConfigForManifest({ manifest, extensionPath: installed, systemDirs: {},
  userConfig: { read_only: false, allowed_tenants: "acme,blue-ridge", audit_log: "/var/log/b.jsonl" }, pathSeparator: "/" });
const want = { BACKUP_MCP_READONLY: "false", BACKUP_MCP_ALLOWED_TENANTS: "acme,blue-ridge", BACKUP_MCP_AUDIT_LOG: "/var/log/b.jsonl" };
for (const [k, v] of Object.entries(want)) {
  if (chosen.env[k] !== v) { console.error(`user_config gave ${k}=${chosen.env[k]}, not ${v}`); process.exit(1); }
}
for (const [k, v] of Object.entries(c.env || {})) process.stdout.write(`${k}=${v}\0`);
process.stdout.write("--\0");
for (const a of [c.command, ...(c.args || [])]) process.stdout.write(`${a}\0`);
JS
mapfile -d '' launch <"$work/launch"
envs=()
while [ "${launch[0]}" != "--" ]; do envs+=("${launch[0]}"); launch=("${launch[@]:1}"); done
launch=("${launch[@]:1}")
export HOME="$work/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME BACKUP_MCP_CREDENTIALS_FILE DBUS_SESSION_BUS_ADDRESS
env "${envs[@]}" bash -c "source '$here/lib.sh'; mcp_client --inherit-env \"\$@\"" _ "${launch[@]}" >"$work/client.log" 2>&1 ||
  { cat "$work/client.log"; fail "MCP client over the bundle's mcp_config"; }
grep -v ' INFO ' "$work/client.log" | sed 's/^/  /'
ok "MCP client over the bundle's mcp_config (${envs[*]})"

echo "mcpb: $passed passed, 0 failed"
