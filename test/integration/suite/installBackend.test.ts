// quench.installFasterBackend with the real npm in the real extension host: on the build machines
// the registry answers but libtensorflow's host does not, so tfjs-node's install script fails. The
// command must say so in one message, leave nothing in global storage, and keep the engine on wasm.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { EngineInfo } from '../../../src/protocol/engine';

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
}
