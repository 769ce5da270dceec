// The packaged extension: `npm run package` makes a .vsix with the bundles and the TensorFlow.js
// runtime and nothing from the sources; it installs into a fresh code-server and activates there.
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extensionFolderName, repoRoot } from '../../scripts/code-server.mjs';
import { makeWorkspace, openWorkbench, screenshot } from './workbench.mjs';

const vsix = path.join(repoRoot, 'quench.vsix');
let entries = [];

before(() => {
  fs.rmSync(vsix, { force: true });
  const result = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
  assert.equal(result.status, 0, `npm run package failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  entries = listZip(fs.readFileSync(vsix));
});

// The names from the zip's central directory, without inflating megabytes of TensorFlow.js.
function listZip(buffer) {
  const names = [];
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'the .vsix is not a zip file');
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    assert.equal(buffer.readUInt32LE(offset), 0x02014b50, 'corrupt zip central directory');
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    names.push(buffer.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

function extensionHostLog(logsDir) {
  return fs.readdirSync(logsDir, { recursive: true })
    .filter((f) => /exthost\d*\/remoteexthost\.log$/.test(f))
    .map((f) => fs.readFileSync(path.join(logsDir, f), 'utf8')).join('\n');
}

test('the .vsix holds the four bundles, media and the TF.js runtime with its wasm binaries', () => {
  for (const file of ['package.json', 'readme.md', 'LICENSE.txt', 'dist/extension.js', 'dist/engine.js', 'dist/cli.js', 'dist/webview.js',
    'node_modules/@tensorflow/tfjs/dist/tf.node.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm']) {
    assert.ok(entries.includes(`extension/${file}`), `the .vsix lacks ${file}`);
  }
  assert.ok(entries.some((e) => e.startsWith('extension/media/')), 'the .vsix lacks media/');
});

test('the .vsix holds no sources, tests, benchmarks, source maps or dev dependencies', () => {
  const unwanted = entries.filter((e) => /^extension\/(src|test|bench|scripts|webview|\.ci|\.cache)\//.test(e)
    || e.endsWith('.map') || e.endsWith('.ts')
    || /^extension\/node_modules\/(typescript|esbuild|eslint|mocha|playwright-core|tsx|@vscode|h5wasm|@tensorflow\/tfjs-node)\//.test(e));
  assert.deepEqual(unwanted, []);
});

test('the .vsix installs into a fresh code-server, loads TF.js on wasm, and the extension activates', { timeout: 300_000 }, async () => {
  const workspace = makeWorkspace();
  const workbench = await openWorkbench({ workspace: workspace.dir, vsix });
  try {
    const installed = path.join(workbench.server.extensionsDir, extensionFolderName());
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'engine.js')), `${installed} holds no dist/engine.js`);
    // The engine's runtime must resolve from the installed folder alone (it lies outside the repo).
    const probe = spawnSync(process.execPath, ['-e', `
      const tf = require('@tensorflow/tfjs'); require('@tensorflow/tfjs-backend-wasm');
      tf.setBackend('wasm').then(async (ok) => {
        if (!ok) throw new Error('wasm backend did not initialise');
        const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
        console.log(tf.getBackend(), (await y.data())[0]);
      });`], { cwd: installed, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    assert.equal(probe.stdout.trim(), 'wasm 11', `TF.js from the installed .vsix failed:\n${probe.stderr}`);

    // The workspace holds a model.json, so `workspaceContains` activates Quench at startup.
    const logs = path.join(workbench.server.userDataDir, 'logs');
    const deadline = Date.now() + 90_000;
    let hostLog = '';
    while (Date.now() < deadline && !/_doActivateExtension quench\.quench/.test(hostLog)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      hostLog = extensionHostLog(logs);
    }
    await screenshot(workbench.page, 'vsix-installed');
    assert.match(hostLog, /_doActivateExtension quench\.quench/, `quench.quench never activated; extension host log:\n${hostLog.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // activate() failures are logged just after
    hostLog = extensionHostLog(logs);
    assert.doesNotMatch(hostLog, /Activating extension '?quench\.quench'? failed/i, hostLog.slice(-3000));
  } finally {
    await workbench.close();
    workspace.cleanup();
  }
});
