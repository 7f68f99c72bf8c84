'use strict';
// server.json must name the npm package's mcpName and carry Cargo.toml's version everywhere.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

test('server.json matches Cargo.toml and the npm mcpName', () => {
  const server = JSON.parse(fs.readFileSync(path.join(root, 'server.json'), 'utf8'));
  const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const version = cargo.match(/^version = "([^"]+)"/m)[1];
  assert.strictEqual(server.version, version);
  for (const p of server.packages) assert.strictEqual(p.version, version);
  const assemble = fs.readFileSync(path.join(root, 'npm', 'assemble.js'), 'utf8');
  assert.ok(assemble.includes(`mcpName: '${server.name}'`));
  assert.deepStrictEqual(server.packages.map((p) => p.registryType).sort(), ['npm', 'pypi']);
});
