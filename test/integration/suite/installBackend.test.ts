// quench.installFasterBackend with the real npm in the real extension host: on the build machines
// the registry answers but libtensorflow's host does not, so tfjs-node's install script fails. The
// command must say so in one message, leave nothing in global storage, and keep the engine on wasm.
// quench.installOnnxRuntime with the real npm: onnxruntime-node comes from the registry alone (115 MB,
// CPU libraries in the package), so it installs here; the engine restarts and loads it. Where the
// registry cannot be reached and CI is not set, it is skipped with a line saying so.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineInfo } from '../../../src/protocol/engine';

interface OrtInstallResult {
  outcome: 'done' | 'unchanged' | 'cancelled' | 'failed';
  reason?: string;
  message: string;
  storage: string;
  shown: string[];
  version?: string;
  folder?: string;
  onnxRuntime?: EngineInfo['onnxRuntime'];
}

interface InstallResult {
  outcome: 'done' | 'unchanged' | 'cancelled' | 'failed';
  reason?: string;
  message: string;
  storage: string;
  shown: string[];
  backend?: string;
}

export function installBackendTests(): void {
  describe('quench.installFasterBackend', function () {
    before(function () {
      // Global storage is the same in both launches; the untrusted one only repeats this test.
      if (!vscode.workspace.isTrusted) this.skip();
    });

    it('fails with one clear message when libtensorflow cannot be fetched, leaves nothing behind, and the engine stays on wasm', async function () {
      this.timeout(300_000);
      const install = () => vscode.commands.executeCommand<InstallResult>('quench.installFasterBackend', { timeoutMs: 240_000 });
      // A second call while the first runs (a double click on the status bar) joins it.
      const [result, joined] = await Promise.all([install(), install()]);
      assert.deepEqual(joined, result);
      if (result.outcome === 'unchanged' || result.outcome === 'done') {
        // A machine with the real tfjs-node, or that can download libtensorflow.
        assert.equal(result.backend, 'tensorflow', result.message);
        this.skip();
      }
      assert.equal(result.outcome, 'failed', result.message);
      const expected = process.env['CI'] ? ['no-binary'] : ['no-binary', 'offline'];
      assert.ok(result.reason && expected.includes(result.reason), `${result.reason}: ${result.message}`);
      assert.match(result.message, /^Could not install the TensorFlow backend: .+ Quench keeps using WebAssembly\./);
      assert.deepEqual(result.shown, [result.message], 'exactly one notification, the failure');
      const leftovers = fs.existsSync(result.storage) ? fs.readdirSync(result.storage).filter((name) => name.startsWith('backend')) : [];
      assert.deepEqual(leftovers, [], `nothing left in ${result.storage}`);
      assert.equal(result.backend, 'wasm');
      const info = await vscode.commands.executeCommand<{ info?: EngineInfo }>('quench.engineInfo');
      assert.equal(info.info?.backend, 'wasm');
      console.log(`[installBackend] ${result.reason}: ${result.message}`);
    });
  });

  describe('quench.installOnnxRuntime', function () {
    before(function () {
      if (!vscode.workspace.isTrusted) this.skip();
    });

    it('installs onnxruntime-node from the npm registry into global storage, and the restarted engine loads it', async function () {
      this.timeout(420_000);
      const initial = await vscode.commands.executeCommand<{ info?: EngineInfo }>('quench.engineInfo');
      if (initial.info?.onnxRuntime?.available) {
        console.log(`[installOnnxRuntime] skipped: the engine already loads onnxruntime-node from ${initial.info.onnxRuntime.from}`);
        this.skip();
      }
      const install = () => vscode.commands.executeCommand<OrtInstallResult>('quench.installOnnxRuntime', { timeoutMs: 360_000 });
      const [result, joined] = await Promise.all([install(), install()]);
      assert.deepEqual(joined, result);
      if (result.outcome === 'failed' && result.reason === 'offline' && !process.env['CI']) {
        console.log(`[installOnnxRuntime] skipped: the npm registry cannot be reached here (${result.message})`);
        this.skip();
      }
      assert.equal(result.outcome, 'done', result.message);
      const pinned = (vscode.extensions.getExtension('quench.quench')?.packageJSON as { quench: { onDemandDependencies: Record<string, string> } }).quench.onDemandDependencies['onnxruntime-node'];
      assert.equal(result.version, pinned);
      assert.equal(result.folder, path.join(result.storage, 'onnxruntime'));
      const loadedFrom = path.join(result.storage, 'onnxruntime', 'node_modules', 'onnxruntime-node');
      assert.deepEqual(result.onnxRuntime, { available: true, version: pinned, from: loadedFrom });
      assert.deepEqual(result.shown, [`The Quench engine now evaluates ONNX models with ONNX Runtime (onnxruntime-node ${pinned}).`]);
      const leftovers = fs.readdirSync(result.storage).filter((name) => name.startsWith('onnxruntime') && name !== 'onnxruntime');
      assert.deepEqual(leftovers, [], `no temporary folders in ${result.storage}`);
      // The restarted engine's own "ready" info may arrive just after the answer to the command's request.
      let restarted = await vscode.commands.executeCommand<{ pid?: number; info?: EngineInfo }>('quench.engineInfo');
      for (let tries = 0; restarted.info?.pid !== restarted.pid && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        restarted = await vscode.commands.executeCommand<{ pid?: number; info?: EngineInfo }>('quench.engineInfo');
      }
      assert.deepEqual(restarted.info?.onnxRuntime, result.onnxRuntime, JSON.stringify(restarted));
      assert.equal(restarted.info?.backend, initial.info?.backend, 'TensorFlow.js keeps its backend');

      // Asked again, it says so and installs nothing.
      const again = await vscode.commands.executeCommand<OrtInstallResult>('quench.installOnnxRuntime');
      assert.equal(again.outcome, 'unchanged', again.message);
      console.log(`[installOnnxRuntime] ${result.message}`);
    });
  });
}
