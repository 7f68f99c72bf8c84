'use strict';
// The launcher run for real on this machine against a fake binary in node_modules.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { selectPlatform, detectLibc } = require('../backup-mcp/lib/platform.js');

const supported = process.platform !== 'win32';

function install(script) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmcp-launch-'));
  const fake = path.join(dir, 'fake');
  fs.writeFileSync(fake, script);
  const row = selectPlatform(process.platform, process.arch, detectLibc(process.report.getReport()));
  const nm = path.join(dir, 'node_modules');
  execFileSync(process.execPath, [path.join(__dirname, '..', 'assemble.js'), nm, `${row.key}=${fake}`]);
  return path.join(nm, 'backup-mcp', 'bin', 'backup-mcp.js');
}

test('passes arguments and the exit code through', { skip: !supported }, () => {
  const launcher = install('#!/bin/sh\necho "args:$*:$BACKUP_MCP_LAUNCHER"\nexit 7\n');
  const r = spawnSync(process.execPath, [launcher, 'serve', '--x'], { encoding: 'utf8' });
  assert.strictEqual(r.stdout, 'args:serve --x:npm\n');
  assert.strictEqual(r.status, 7);
});

test('tells the binary it came from npm, and at which version', { skip: !supported }, () => {
  const launcher = install('#!/bin/sh\necho "$BACKUP_MCP_LAUNCHER@$BACKUP_MCP_NPM_VERSION"\n');
  const version = require(path.join(path.dirname(path.dirname(launcher)), 'package.json')).version;
  const r = spawnSync(process.execPath, [launcher], {
    encoding: 'utf8',
    env: { ...process.env, BACKUP_MCP_NPM_VERSION: 'stale' },
  });
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.strictEqual(r.stdout, `npm@${version}\n`);
});

test('SIGTERM to the launcher ends the binary', { skip: !supported }, async () => {
  const launcher = install('#!/bin/sh\necho ready\nexec sleep 30\n');
  const child = spawn(process.execPath, [launcher], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const started = Date.now();
  child.kill('SIGTERM');
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  assert.ok(Date.now() - started < 5000);
  assert.strictEqual(code, null);
  assert.strictEqual(signal, 'SIGTERM');
});

test('a missing platform package is one clear line and exit 1', { skip: !supported }, () => {
  const launcher = install('#!/bin/sh\n');
  const row = selectPlatform(process.platform, process.arch, detectLibc(process.report.getReport()));
  fs.rmSync(path.join(path.dirname(path.dirname(path.dirname(launcher))), row.pkg), { recursive: true });
  const r = spawnSync(process.execPath, [launcher], { encoding: 'utf8' });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, new RegExp(`${row.pkg} is missing`));
});
