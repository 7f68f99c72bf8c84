'use strict';
// Which per-platform package holds the binary for this machine. Pure functions so every row of
// the table is unit-testable on any OS (npm/test/platform.test.js).

/** The supported platforms: key -> npm package and binary file name. */
const PLATFORMS = {
  'linux-x64-gnu': { pkg: 'backup-mcp-linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', bin: 'backup-mcp' },
  'linux-arm64-gnu': { pkg: 'backup-mcp-linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', bin: 'backup-mcp' },
  'linux-x64-musl': { pkg: 'backup-mcp-linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', bin: 'backup-mcp' },
  'linux-arm64-musl': { pkg: 'backup-mcp-linux-arm64-musl', os: 'linux', cpu: 'arm64', libc: 'musl', bin: 'backup-mcp' },
  'darwin-x64': { pkg: 'backup-mcp-darwin-x64', os: 'darwin', cpu: 'x64', bin: 'backup-mcp' },
  'darwin-arm64': { pkg: 'backup-mcp-darwin-arm64', os: 'darwin', cpu: 'arm64', bin: 'backup-mcp' },
  'win32-x64': { pkg: 'backup-mcp-win32-x64', os: 'win32', cpu: 'x64', bin: 'backup-mcp.exe' },
  'win32-arm64': { pkg: 'backup-mcp-win32-arm64', os: 'win32', cpu: 'arm64', bin: 'backup-mcp.exe' },
};

/** The key for a platform/arch/libc triple; libc matters on Linux only. */
function platformKey(platform, arch, libc) {
  if (platform === 'linux') return `linux-${arch}-${libc === 'musl' ? 'musl' : 'gnu'}`;
  return `${platform}-${arch}`;
}

/** The table row for this triple, or an Error whose message is the one line the user sees. */
function selectPlatform(platform, arch, libc) {
  const key = platformKey(platform, arch, libc);
  const row = PLATFORMS[key];
  if (row) return { key, ...row };
  return new Error(
    `backup-mcp: no prebuilt binary for ${key}; supported: ${Object.keys(PLATFORMS).join(', ')}`,
  );
}

/** musl or glibc, from Node's own report (glibcVersionRuntime is absent on musl). */
function detectLibc(report) {
  const header = report && report.header;
  return header && header.glibcVersionRuntime ? 'glibc' : 'musl';
}

module.exports = { PLATFORMS, platformKey, selectPlatform, detectLibc };
