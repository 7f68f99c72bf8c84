#!/usr/bin/env node
'use strict';
// Launcher: finds the binary in this platform's optional dependency and becomes it. No
// postinstall and no download: npm installs only the package whose os/cpu/libc match.
const path = require('node:path');
const { spawn } = require('node:child_process');
const { selectPlatform, detectLibc } = require('../lib/platform.js');

function libc() {
  if (process.platform !== 'linux') return undefined;
  return detectLibc(process.report && process.report.getReport());
}

const row = selectPlatform(process.platform, process.arch, libc());
if (row instanceof Error) {
  console.error(row.message);
  process.exit(1);
}

let binary;
try {
  binary = require.resolve(`${row.pkg}/bin/${row.bin}`);
} catch {
  console.error(
    `backup-mcp: the package ${row.pkg} is missing; reinstall without --no-optional (npm i backup-mcp)`,
  );
  process.exit(1);
}

const args = process.argv.slice(2);
// Mark the process so `backup-mcp install` writes `npx -y backup-mcp@<version>` rather than a
// path into npm's cache (which npm may clean at any time).
const env = { ...process.env, BACKUP_MCP_LAUNCHER: 'npm' };
try {
  env.BACKUP_MCP_NPM_VERSION = require('../package.json').version;
} catch {
  delete env.BACKUP_MCP_NPM_VERSION;
}

if (process.platform !== 'win32' && typeof process.execve === 'function') {
  // Unix with Node >= 22.15: replace this process, so stdio and signals are the binary's own.
  process.execve(binary, [binary, ...args], env);
}

const child = spawn(binary, args, { stdio: 'inherit', env, windowsHide: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (!child.killed) child.kill(signal);
  });
}
child.on('error', (e) => {
  console.error(`backup-mcp: cannot start ${binary}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
