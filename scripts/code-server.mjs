// Real VS Code for the integration and e2e tiers: code-server 4.100.3 (VS Code 1.100.3, the newest
// release that runs on Node 20), installed once into a git-ignored cache and started on a free
// loopback port with throw-away user data. See ../shared/TESTING.md for why each step is needed.
//
//   import { startCodeServer } from './code-server.mjs';   // or, from a shell:
//   node scripts/code-server.mjs install
//   node scripts/code-server.mjs start <workspace>          // extension linked, prints the URL
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const VSCODE_VERSION = '1.100.3';
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = process.env.QUENCH_CODE_SERVER_CACHE ?? path.join(repoRoot, '.cache', 'code-server');
const installedMarker = path.join(cacheDir, `installed-${CODE_SERVER_VERSION}`);
export const codeServerEntry = path.join(cacheDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

// @vscode/ripgrep's install script downloads rg from GitHub unless this exact archive is cached.
const RIPGREP_CACHE = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function seedRipgrepCache() {
  const archive = path.join(RIPGREP_CACHE, RIPGREP_ARCHIVE);
  if (fs.existsSync(archive)) return;
  if (!fs.existsSync('/usr/bin/rg')) {
    throw new Error('code-server install: /usr/bin/rg is missing; install the Debian package "ripgrep" first.');
  }
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-rg-'));
  try {
    fs.copyFileSync('/usr/bin/rg', path.join(staging, 'rg'));
    fs.chmodSync(path.join(staging, 'rg'), 0o755);
    fs.mkdirSync(RIPGREP_CACHE, { recursive: true });
    const partial = `${archive}.${process.pid}.partial`;
    run('tar', ['-czf', partial, '-C', staging, 'rg']);
    fs.renameSync(partial, archive);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with ${result.error?.message ?? `exit code ${result.status}`}`);
  }
}

/** Installs code-server into the cache unless it is already there (about 4 minutes the first time). */
export function ensureCodeServer({ log = console.error } = {}) {
  if (fs.existsSync(installedMarker) && fs.existsSync(codeServerEntry)) return codeServerEntry;
  seedRipgrepCache();
  fs.mkdirSync(cacheDir, { recursive: true });
  log(`Installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, cacheDir) || cacheDir} (first run only, a few minutes)...`);
  const started = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', cacheDir, `code-server@${CODE_SERVER_VERSION}`], {
    env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
  });
  if (!fs.existsSync(codeServerEntry)) throw new Error(`code-server install finished but ${codeServerEntry} is missing.`);
  fs.writeFileSync(installedMarker, `${new Date().toISOString()}\n`);
  log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  return codeServerEntry;
}

function freeLoopbackPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function extensionManifest(extensionDir = repoRoot) {
  return JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
}

/** The folder name VS Code gives an installed extension: `<publisher>.<name>-<version>`. */
export function extensionFolderName(extensionDir = repoRoot) {
  const { publisher, name, version } = extensionManifest(extensionDir);
  return `${publisher}.${name}-${version}`;
}

// Servers started by this process, killed on exit and on Ctrl-C even when a caller forgets.
const liveServers = new Map(); // pid -> throw-away home folder
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
function killAll() {
  for (const [pid, home] of liveServers) {
    killGroup(pid, 'SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  }
  liveServers.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + os.constants.signals[signal]);
  });
}

async function waitUntilAnswering(url, child, logFile, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before answering; log:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s; log:\n${tail(logFile)}`);
}

export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts code-server on `workspace` with a fresh user-data and extensions dir.
 * `extensionDir` links that folder in as an installed extension; `vsix` installs a package instead.
 * `trust: true` leaves workspace trust on (restricted-mode tests). `env` reaches the extension host.
 */
export async function startCodeServer({ workspace, extensionDir, vsix, trust = false, settings = {}, env = {}, timeoutMs = 60_000 } = {}) {
  if (!workspace || !fs.existsSync(workspace)) throw new Error(`startCodeServer: workspace ${workspace} does not exist.`);
  const entry = ensureCodeServer();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'quench-code-server-'));
  const userDataDir = path.join(home, 'user-data');
  const extensionsDir = path.join(home, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({
    'security.workspace.trust.enabled': trust,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    ...settings,
  }, null, 2));
  const baseArgs = ['--disable-telemetry', '--disable-update-check', '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir];
  if (extensionDir) {
    fs.symlinkSync(path.resolve(extensionDir), path.join(extensionsDir, extensionFolderName(extensionDir)), 'dir');
  }
  if (vsix) {
    const install = spawnSync(process.execPath, [entry, ...baseArgs, '--install-extension', path.resolve(vsix)], { encoding: 'utf8' });
    if (install.status !== 0 || !/successfully installed/i.test(install.stdout)) {
      fs.rmSync(home, { recursive: true, force: true });
      throw new Error(`code-server --install-extension ${vsix} failed:\n${install.stdout}\n${install.stderr}`);
    }
  }

  const port = await freeLoopbackPort();
  const logFile = path.join(home, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  // detached: the server gets its own process group, so stop() also ends its extension host.
  const child = spawn(process.execPath, [entry, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...baseArgs, path.resolve(workspace)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ...env },
  });
  fs.closeSync(logFd);
  liveServers.set(child.pid, home);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    killGroup(child.pid, 'SIGKILL'); // stragglers in the group (extension host, pty host)
    liveServers.delete(child.pid);
    if (!process.env.QUENCH_KEEP_CODE_SERVER_HOME) fs.rmSync(home, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitUntilAnswering(url, child, logFile, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  const folderUrl = (folder = workspace) => `${url}?folder=${encodeURIComponent(path.resolve(folder))}`;
  return { url, port, pid: child.pid, home, userDataDir, extensionsDir, logFile, folderUrl, stop };
}

/** The `?payload=` that makes the web workbench run an extension-host test suite. */
export function testPayloadUrl(server, { workspace, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(extensionDevelopmentPath)],
    ['extensionTestsPath', remote(extensionTestsPath)],
  ]);
  return `${server.folderUrl(workspace)}&payload=${encodeURIComponent(payload)}`;
}

/** Headless Debian Chromium through playwright-core (`npx playwright install` cannot work here). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.QUENCH_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: install the Debian package "chromium" (or set QUENCH_CHROMIUM).`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

async function cli() {
  const [command, workspace] = process.argv.slice(2);
  if (command === 'install') {
    ensureCodeServer();
    console.log(codeServerEntry);
  } else if (command === 'start' && workspace) {
    const server = await startCodeServer({ workspace, extensionDir: repoRoot });
    console.log(server.folderUrl());
    await new Promise(() => {});
  } else {
    console.error('usage: node scripts/code-server.mjs install | start <workspace>');
    process.exit(2);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
