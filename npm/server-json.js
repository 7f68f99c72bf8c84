#!/usr/bin/env node
'use strict';
// server.json for the MCP Registry at Cargo.toml's version: prints it, or with --write rewrites
// server.json in place (release.yml does this before publishing, so a release bumps only
// Cargo.toml). Usage: node npm/server-json.js [--write]
const fs = require('node:fs');
const path = require('node:path');
const { cargoVersion } = require('./version.js');

const file = path.join(__dirname, '..', 'server.json');

function stamped() {
  const server = JSON.parse(fs.readFileSync(file, 'utf8'));
  const version = cargoVersion();
  server.version = version;
  for (const p of server.packages) p.version = version;
  return JSON.stringify(server, null, 2) + '\n';
}

module.exports = { stamped };

if (require.main === module) {
  const text = stamped();
  if (process.argv.includes('--write')) fs.writeFileSync(file, text);
  else process.stdout.write(text);
}
