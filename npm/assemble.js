#!/usr/bin/env node
'use strict';
// Assembles the npm packages from built binaries, reproducibly: the version comes from
// Cargo.toml alone, file contents are fixed, and npm pack normalises timestamps.
// Usage: node npm/assemble.js OUT_DIR [KEY=PATH_TO_BINARY ...]
// Writes OUT_DIR/backup-mcp (the launcher package) and OUT_DIR/<platform package> for each KEY.
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORMS } = require('./backup-mcp/lib/platform.js');
const { cargoVersion } = require('./version.js');

const root = path.resolve(__dirname, '..');

function write(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  if (mode) fs.chmodSync(file, mode);
}

function main() {
  const [out, ...pairs] = process.argv.slice(2);
  if (!out) throw new Error('usage: node npm/assemble.js OUT_DIR [KEY=BINARY ...]');
  const version = cargoVersion();
  const common = {
    version,
    license: 'MIT',
    description: 'MCP gateway for MSPs: every Backrest and NovaBACKUP Management Server at once, safely',
  };
  const main = path.join(out, 'backup-mcp');
  fs.rmSync(main, { recursive: true, force: true });
  for (const f of ['bin/backup-mcp.js', 'lib/platform.js']) {
    const src = path.join(__dirname, 'backup-mcp', f);
    write(path.join(main, f), fs.readFileSync(src), 0o755);
  }
  write(path.join(main, 'README.md'), fs.readFileSync(path.join(root, 'README.md')));
  const optionalDependencies = {};
  for (const row of Object.values(PLATFORMS)) optionalDependencies[row.pkg] = version;
  write(
    path.join(main, 'package.json'),
    JSON.stringify(
      {
        name: 'backup-mcp',
        ...common,
        mcpName: 'io.github.backup-mcp/backup-mcp',
        bin: { 'backup-mcp': 'bin/backup-mcp.js' },
        files: ['bin', 'lib', 'README.md'],
        engines: { node: '>=18' },
        optionalDependencies,
      },
      null,
      2,
    ) + '\n',
  );
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    const binary = pair.slice(eq + 1);
    const row = PLATFORMS[key];
    if (eq < 1 || !row) throw new Error(`unknown platform ${key}; use one of ${Object.keys(PLATFORMS).join(', ')}`);
    const dir = path.join(out, row.pkg);
    fs.rmSync(dir, { recursive: true, force: true });
    write(path.join(dir, 'bin', row.bin), fs.readFileSync(binary), 0o755);
    const manifest = { name: row.pkg, ...common, os: [row.os], cpu: [row.cpu], files: ['bin'] };
    if (row.libc) manifest.libc = [row.libc];
    write(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  }
  console.log(`assembled backup-mcp ${version} in ${out}`);
}

try {
  main();
} catch (e) {
  console.error(`assemble: ${e.message}`);
  process.exit(1);
}
