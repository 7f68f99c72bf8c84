'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const assemble = path.join(__dirname, '..', 'assemble.js');

test('assembles the launcher and a platform package at the Cargo.toml version, twice identically', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmcp-npm-'));
  const fake = path.join(dir, 'fake-binary');
  fs.writeFileSync(fake, '#!/bin/sh\necho fake "$@"\n');
  const run = () => execFileSync(process.execPath, [assemble, path.join(dir, 'out'), `linux-x64-gnu=${fake}`]);
  run();
  const read = (p) => fs.readFileSync(path.join(dir, 'out', p), 'utf8');
  const first = read('backup-mcp/package.json') + read('backup-mcp-linux-x64-gnu/package.json');
  run();
  assert.strictEqual(read('backup-mcp/package.json') + read('backup-mcp-linux-x64-gnu/package.json'), first);
  const cargo = fs.readFileSync(path.join(__dirname, '..', '..', 'Cargo.toml'), 'utf8');
  const version = cargo.match(/^version = "([^"]+)"/m)[1];
  const main = JSON.parse(read('backup-mcp/package.json'));
  assert.strictEqual(main.version, version);
  assert.strictEqual(main.scripts, undefined, 'no install scripts');
  for (const v of Object.values(main.optionalDependencies)) assert.strictEqual(v, version);
  assert.strictEqual(Object.keys(main.optionalDependencies).length, 8);
  const plat = JSON.parse(read('backup-mcp-linux-x64-gnu/package.json'));
  assert.deepStrictEqual([plat.os, plat.cpu, plat.libc], [['linux'], ['x64'], ['glibc']]);
  assert.strictEqual(plat.version, version);
});

test('an unknown platform key is refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bmcp-npm-'));
  const r = spawnSync(process.execPath, [assemble, dir, 'plan9-x64=/dev/null']);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr.toString(), /unknown platform plan9-x64/);
});
