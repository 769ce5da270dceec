// The real engine entry (src/engine/main.ts, run through tsx) behind the real process starter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineConnection, EngineRequestError } from '../../../src/extension/client/connection';
import { engineProcessStarter } from '../../../src/extension/client/process';
import type { EngineMethod } from '../../../src/protocol/engine';

const repoRoot = path.resolve(__dirname, '../../..');
const starter = engineProcessStarter({
  enginePath: path.join(repoRoot, 'src/engine/main.ts'),
  execArgv: ['--import', 'tsx'],
  backend: 'cpu',
  maxMemoryMB: 1024,
});

test('the engine process settles unknown methods as errors, survives SIGKILL and restarts', { timeout: 60_000 }, async () => {
  const exits: string[] = [];
  const logs: string[] = [];
  const connection = new EngineConnection(starter, { exited: (d) => exits.push(d), log: (_l, m) => logs.push(m) });
  try {
    // An unknown method is a bug in the caller: it must still settle, as a readable 'internal' error.
    await assert.rejects(connection.request('no-such-method' as EngineMethod, {} as never), (error: unknown) => {
      assert.ok(error instanceof EngineRequestError);
      assert.equal(error.code, 'internal');
      assert.match(error.message, /Unknown engine method: no-such-method/);
      return true;
    });
    const firstPid = connection.pid;
    assert.ok(firstPid, 'the process is running');
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => exits.length === 1);
    assert.match(exits[0]!, /killed \(SIGKILL\)/);
    await assert.rejects(connection.request('no-such-method' as EngineMethod, {} as never), /Unknown engine method/);
    assert.ok(connection.pid && connection.pid !== firstPid, 'a new process answered');
  } finally {
    connection.dispose();
  }
});

test('the memory budget reaches the engine process as a heap limit', { timeout: 60_000 }, async () => {
  const connection = new EngineConnection(
    engineProcessStarter({
      enginePath: path.join(repoRoot, 'test/unit/extension/fixtures/echo-engine.cjs'),
      maxMemoryMB: 768,
      backend: 'wasm',
    }),
  );
  try {
    const echoed = (await connection.request('info', {})) as unknown as { argv: string[]; execArgv: string[]; backend: string };
    assert.ok(echoed.execArgv.includes('--max-old-space-size=768'));
    assert.ok(echoed.argv.includes('--max-memory-mb=768'));
    assert.equal(echoed.backend, 'wasm');
  } finally {
    connection.dispose();
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
