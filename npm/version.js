'use strict';
// The release version: Cargo.toml's [package] version, the one place a release bumps. Read by
// npm/assemble.js, npm/server-json.js and mcpb/build.js.
const fs = require('node:fs');
const path = require('node:path');

function cargoVersion() {
  const toml = fs.readFileSync(path.join(__dirname, '..', 'Cargo.toml'), 'utf8');
  const pkg = toml.split(/^\[/m).find((s) => s.startsWith('package]'));
  const m = pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error('no [package] version in Cargo.toml');
  return m[1];
}

module.exports = { cargoVersion };
