// No network anywhere in the engine: the real engine process (src/engine/main.ts under tsx, the
// default 'auto' backend) runs evaluate and prune jobs with a preload that records and refuses every
// network entry point (no-network-preload.mjs). First the preload is shown to catch each kind of
// attempt, so "none recorded" means none was made.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as path from 'node:path';
import { EngineConnection } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import { goodData, repoRoot } from './corpus';
import { copyTinyModel, tempFolder } from './workspace';

const preload = path.join(__dirname, 'no-network-preload.mjs');
let root: string;
before(async () => {
  root = await tempFolder('quench-no-network-');
});
after(() => fsp.rm(root, { recursive: true, force: true }));

const attempts = (log: string): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

describe('no network access', { timeout: 120_000 }, () => {
  it('the preload catches fetch, http(s), raw sockets, TLS and DNS', () => {
    const log = path.join(root, 'probe.log');
    const probe = `
      const tries = [
        () => fetch('https://example.invalid/model.json'),
        () => require('node:http').get('http://example.invalid/'),
        () => require('node:https').request({ host: 'example.invalid' }),
        () => require('node:net').connect(80, '192.0.2.1'),
        () => new (require('node:net').Socket)().connect({ port: 443, host: '192.0.2.1' }),
        () => require('node:tls').connect(443, '192.0.2.1'),
        () => require('node:dns').lookup('example.invalid', () => {}),
      ];
      Promise.allSettled(tries.map((t) => Promise.resolve().then(t))).then((r) => console.log(r.filter((x) => x.status === 'rejected').length));`;
    const run = spawnSync(process.execPath, ['--import', preload, '-e', probe], { encoding: 'utf8', env: { ...process.env, QUENCH_NETWORK_LOG: log } });
    assert.equal(run.stdout.trim(), '7', run.stderr);
    assert.deepEqual(
      attempts(log).map((l) => l.split(' ')[0]),
      ['fetch', 'http.get', 'https.request', 'net.connect', 'net.Socket.connect', 'tls.connect', 'dns.lookup'],
    );
  });

  it('evaluate and prune in the real engine process make no network attempt', async () => {
    const log = path.join(root, 'engine.log');
    const dir = path.join(root, 'model');
    const model = await copyTinyModel(dir);
    const connection = new EngineConnection(
      engineProcessStarter({ enginePath: path.join(repoRoot, 'src/engine/main.ts'), execArgv: ['--import', preload, '--import', 'tsx'], env: { QUENCH_NETWORK_LOG: log } }),
    );
    try {
      const info = await connection.request('info', {});
      const evaluation = await connection.request('evaluate', { model, data: goodData });
      assert.equal(evaluation.accuracy.samples, 20);
      const pruned = await connection.request('prune', { model, data: goodData, method: 'magnitude', sparsity: 0.5 });
      assert.ok(pruned.output?.verified, 'the pruned model was written and reloaded');
      assert.ok(existsSync(pruned.output!.path));
      assert.deepEqual(attempts(log), [], `network attempts on the ${info.backend} backend`);
      assert.ok(attempts(`${log}.loaded`).includes(String(connection.pid)), 'the engine ran with the preload');
    } finally {
      connection.dispose();
    }
  });
});
