'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { PLATFORMS, selectPlatform, detectLibc } = require('../backup-mcp/lib/platform.js');

const cases = [
  ['linux', 'x64', 'glibc', 'backup-mcp-linux-x64-gnu', 'backup-mcp'],
  ['linux', 'arm64', 'glibc', 'backup-mcp-linux-arm64-gnu', 'backup-mcp'],
  ['linux', 'x64', 'musl', 'backup-mcp-linux-x64-musl', 'backup-mcp'],
  ['linux', 'arm64', 'musl', 'backup-mcp-linux-arm64-musl', 'backup-mcp'],
  ['darwin', 'x64', undefined, 'backup-mcp-darwin-x64', 'backup-mcp'],
  ['darwin', 'arm64', undefined, 'backup-mcp-darwin-arm64', 'backup-mcp'],
  ['win32', 'x64', undefined, 'backup-mcp-win32-x64', 'backup-mcp.exe'],
  ['win32', 'arm64', undefined, 'backup-mcp-win32-arm64', 'backup-mcp.exe'],
];

for (const [os, cpu, libc, pkg, bin] of cases) {
  test(`${os} ${cpu} ${libc || ''} selects ${pkg}`, () => {
    const row = selectPlatform(os, cpu, libc);
    assert.ok(!(row instanceof Error), String(row));
    assert.strictEqual(row.pkg, pkg);
    assert.strictEqual(row.bin, bin);
  });
}

test('every table row is covered by a case', () => {
  assert.strictEqual(Object.keys(PLATFORMS).length, cases.length);
});

for (const [os, cpu] of [['freebsd', 'x64'], ['linux', 'ia32'], ['darwin', 'ppc64'], ['aix', 'ppc64']]) {
  test(`${os} ${cpu} is refused with one line naming it and the supported ones`, () => {
    const err = selectPlatform(os, cpu, 'glibc');
    assert.ok(err instanceof Error);
    assert.ok(!err.message.includes('\n'));
    assert.match(err.message, new RegExp(`${os}-${cpu}`));
    assert.match(err.message, /supported: linux-x64-gnu, .*win32-arm64/);
  });
}

test('musl is detected when the report lacks glibcVersionRuntime', () => {
  assert.strictEqual(detectLibc({ header: {} }), 'musl');
  assert.strictEqual(detectLibc({ header: { glibcVersionRuntime: '2.36' } }), 'glibc');
});
