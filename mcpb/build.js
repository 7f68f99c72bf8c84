#!/usr/bin/env node
'use strict';
// Lays out one platform's MCP Bundle (.mcpb) folder from a built binary: manifest.json, the
// binary under server/, README and LICENSE. `mcpb validate` and `mcpb pack` take it from there.
// The tools and prompts listed in the manifest come from the binary itself, asked over MCP
// (tools/list with every gate open, prompts/list and prompts/get), so the list never drifts from
// what the server registers; the version comes from Cargo.toml alone.
// Usage: node mcpb/build.js OUT_DIR PLATFORM_KEY BINARY
//   PLATFORM_KEY is a key of npm/backup-mcp/lib/platform.js (linux-x64-gnu, darwin-arm64, ...).
//   The binary must run on this machine (release.yml builds each bundle on its own OS).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { PLATFORMS } = require('../npm/backup-mcp/lib/platform.js');
const { cargoVersion } = require('../npm/version.js');

const root = path.resolve(__dirname, '..');


// The settings a user may want to change in Claude's extension settings, and the variables they
// set (src/config.rs). None is a secret. An empty value means the server's own default, so every
// option has a default and no `${user_config...}` is ever passed through unreplaced.
const USER_CONFIG = {
  read_only: {
    env: 'BACKUP_MCP_READONLY',
    type: 'boolean',
    title: 'Read-only',
    description: 'Register no write tools at all (trigger backups, repo tasks, cancel). Turn off to allow writes.',
    default: true,
  },
  allow_destructive: {
    env: 'BACKUP_MCP_ALLOW_DESTRUCTIVE',
    type: 'boolean',
    title: 'Allow forget and restore',
    description: 'Register forget_snapshot and restore_snapshot (needs read-only off). Each still asks you to confirm.',
    default: false,
  },
  allowed_tenants: {
    env: 'BACKUP_MCP_ALLOWED_TENANTS',
    type: 'string',
    title: 'Allowed tenants',
    description: 'Comma-separated tenant ids that writes may reach; writes to any other tenant are refused. Empty: no allowlist.',
    default: '',
  },
  restore_prefix: {
    env: 'BACKUP_MCP_RESTORE_ALLOWED_PREFIX',
    type: 'string',
    title: 'Restore folder',
    description: 'Absolute folder that restore targets must lie under. Empty: /tmp/backrest-restore/.',
    default: '',
  },
  audit_log: {
    env: 'BACKUP_MCP_AUDIT_LOG',
    type: 'string',
    title: 'Audit log file',
    description: 'Absolute path of the JSONL audit log of every write call. Empty: audit lines go to the server log.',
    default: '',
  },
};

/** Asks the binary over MCP stdio for its tools (every gate open) and prompts. */
function askServer(binary) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bmcp-mcpb-'));
  // The caller's environment (Windows needs SystemRoot and friends) without any setting of ours,
  // then every gate open so that every tool the server can register is listed.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(BACKUP_MCP_|BACKREST_|MCP_|INFLUXDB_)/i.test(k)),
  );
  Object.assign(env, {
    HOME: home,
    BACKUP_MCP_CREDENTIALS_FILE: path.join(home, 'credentials.json'),
    BACKUP_MCP_READONLY: 'false',
    BACKUP_MCP_ALLOW_DESTRUCTIVE: 'true',
    BACKUP_MCP_ALLOW_CONNECT: 'true',
    BACKUP_MCP_LOG: 'error',
  });
  const child = spawn(binary, ['serve'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map();
  let nextId = 1;
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      const w = msg.id !== undefined && waiting.get(msg.id);
      if (!w) continue;
      waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(`${w.method}: ${msg.error.message}`));
      else w.resolve(msg.result);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const send = (msg) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
  const request = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject, method });
      send({ id, method, params });
    });
  const all = async (method, key) => {
    const items = [];
    let cursor;
    do {
      const page = await request(method, cursor ? { cursor } : {});
      items.push(...page[key]);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const run = async () => {
    await request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'backup-mcp-mcpb-build', version: cargoVersion() },
    });
    send({ method: 'notifications/initialized' });
    const tools = await all('tools/list', 'tools');
    const prompts = [];
    for (const p of await all('prompts/list', 'prompts')) {
      const got = await request('prompts/get', { name: p.name, arguments: {} });
      const text = got.messages.map((m) => m.content.text).join('\n\n');
      prompts.push({
        name: p.name,
        description: p.description,
        arguments: (p.arguments || []).map((a) => a.name),
        text,
      });
    }
    return { tools: tools.map((t) => ({ name: t.name, description: t.description })), prompts };
  };
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  return Promise.race([
    run(),
    exited.then((code) => Promise.reject(new Error(`${binary} exited (${code}) before answering`))),
  ]).finally(() => {
    clearTimeout(timer);
    child.stdin.end();
    child.kill('SIGTERM');
    fs.rmSync(home, { recursive: true, force: true });
  });
}

function manifest(version, row, listed) {
  const exe = row.bin; // backup-mcp or backup-mcp.exe
  const env = {};
  const userConfig = {};
  for (const [key, { env: variable, ...option }] of Object.entries(USER_CONFIG)) {
    env[variable] = `\${user_config.${key}}`;
    userConfig[key] = { ...option, required: false };
  }
  return {
    manifest_version: '0.3',
    name: 'backup-mcp',
    display_name: 'Backup MCP (Backrest and NovaBACKUP)',
    version,
    description: 'Every Backrest and NovaBACKUP Management Server you run, at once, read-only unless you allow writes',
    long_description:
      'An MCP gateway for managed service providers. Save each server once with `backup-mcp login` ' +
      '(for example `npx -y backup-mcp@' + version + ' login ...`); the extension then answers ' +
      'about all of them at once, says which servers replied, and writes nothing unless you turn ' +
      'read-only off.',
    author: { name: 'backup-mcp contributors' },
    license: 'MIT',
    keywords: ['backup', 'backrest', 'novabackup', 'msp', 'restic'],
    server: {
      type: 'binary',
      entry_point: `server/${exe}`,
      mcp_config: {
        command: '${__dirname}/server/backup-mcp',
        args: ['serve'],
        env,
        platform_overrides: { win32: { command: '${__dirname}/server/backup-mcp.exe' } },
      },
    },
    tools: listed.tools,
    prompts: listed.prompts,
    compatibility: { platforms: [row.os] },
    user_config: userConfig,
  };
}

async function main() {
  const [out, key, binary] = process.argv.slice(2);
  if (!out || !key || !binary) throw new Error('usage: node mcpb/build.js OUT_DIR PLATFORM_KEY BINARY');
  const row = PLATFORMS[key];
  if (!row) throw new Error(`unknown platform ${key}; use one of ${Object.keys(PLATFORMS).join(', ')}`);
  const version = cargoVersion();
  const listed = await askServer(path.resolve(binary));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'server'), { recursive: true });
  fs.copyFileSync(binary, path.join(out, 'server', row.bin));
  fs.chmodSync(path.join(out, 'server', row.bin), 0o755);
  for (const f of ['README.md', 'LICENSE']) fs.copyFileSync(path.join(root, f), path.join(out, f));
  const text = JSON.stringify(manifest(version, row, listed), null, 2) + '\n';
  fs.writeFileSync(path.join(out, 'manifest.json'), text);
  console.log(`backup-mcp ${version} bundle for ${key} in ${out}: ${listed.tools.length} tools, ${listed.prompts.length} prompts`);
}

main().catch((e) => {
  console.error(`mcpb/build.js: ${e.message}`);
  process.exit(1);
});
