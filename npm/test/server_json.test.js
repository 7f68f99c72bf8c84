'use strict';
// server.json (the MCP Registry entry) names both packages as they are built, at Cargo.toml's
// version once stamped (npm/server-json.js, run by release.yml), so a release bumps only Cargo.toml.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { stamped } = require('../server-json.js');
const { cargoVersion } = require('../version.js');

const root = path.join(__dirname, '..', '..');
const read = (f) => fs.readFileSync(path.join(root, f), 'utf8');

test('stamped server.json carries Cargo.toml version everywhere', () => {
  const server = JSON.parse(stamped());
  const version = read('Cargo.toml').match(/^version = "([^"]+)"/m)[1];
  assert.strictEqual(cargoVersion(), version);
  assert.strictEqual(server.version, version);
  for (const p of server.packages) assert.strictEqual(p.version, version);
});

test('server.json points at the npm package and the PyPI wheel, both claiming its name', () => {
  const server = JSON.parse(read('server.json'));
  assert.deepStrictEqual(server.packages.map((p) => p.registryType).sort(), ['npm', 'pypi']);
  for (const p of server.packages) assert.deepStrictEqual(p.transport, { type: 'stdio' });
  const npm = server.packages.find((p) => p.registryType === 'npm');
  const pypi = server.packages.find((p) => p.registryType === 'pypi');
  // npm: the launcher package's name and its mcpName (the registry checks package.json).
  const assemble = read('npm/assemble.js');
  assert.ok(assemble.includes(`name: '${npm.identifier}'`));
  assert.ok(assemble.includes(`mcpName: '${server.name}'`));
  // PyPI: the wheel's name, and the README (its description) carries the mcp-name line.
  assert.match(read('pyproject.toml'), new RegExp(`^name = "${pypi.identifier}"$`, 'm'));
  assert.match(read('pyproject.toml'), /^readme = "README.md"$/m);
  assert.ok(read('README.md').includes(`mcp-name: ${server.name}`));
});
