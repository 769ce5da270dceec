// The engine client's transport-level class against a scripted fake child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineToHost, HostToEngine } from '../../../src/protocol/engine';
import {
  EngineConnection,
  EngineRequestError,
  type CancellationLike,
  type EngineChildHandlers,
} from '../../../src/extension/client/connection';

class FakeChild {
  readonly sent: HostToEngine[] = [];
  killed = false;
  constructor(
    readonly handlers: EngineChildHandlers,
    readonly pid: number,
    private readonly onRequest: (child: FakeChild, message: HostToEngine) => void,
  ) {}
  send(message: HostToEngine): void {
    if (this.killed) throw new Error('channel closed');
    this.sent.push(message);
    this.onRequest(this, message);
  }
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    setImmediate(() => this.handlers.exit(null, 'SIGKILL'));
  }
  reply(message: EngineToHost): void {
    setImmediate(() => this.handlers.message(message));
  }
}

function fakeEngine(onRequest: (child: FakeChild, message: HostToEngine) => void = () => undefined) {
  const children: FakeChild[] = [];
  const start = (handlers: EngineChildHandlers) => {
    const child = new FakeChild(handlers, 1000 + children.length, onRequest);
    children.push(child);
    return child;
  };
  return { children, start };
}

class Token implements CancellationLike {
  isCancellationRequested = false;
  private listeners: (() => unknown)[] = [];
  onCancellationRequested(listener: () => unknown) {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }
  cancel(): void {
    this.isCancellationRequested = true;
    for (const l of this.listeners) l();
  }
}

const inspectResult = { kind: 'inspect', layers: [] };

test('starts the process lazily, resolves results and forwards progress in order', async () => {
  const engine = fakeEngine((child, m) => {
    if (m.type !== 'request') return;
    child.reply({ type: 'progress', id: m.id, progress: { stage: 'load', fraction: 0.5 } });
    child.reply({ type: 'result', id: m.id, result: inspectResult });
  });
  const connection = new EngineConnection(engine.start);
  assert.equal(engine.children.length, 0, 'no process before the first request');
  const stages: string[] = [];
  const result = await connection.request('inspect', { model: '/m/model.json' }, { onProgress: (p) => stages.push(p.stage) });
  assert.deepEqual(result, inspectResult);
  assert.deepEqual(stages, ['load']);
  assert.equal(engine.children.length, 1);
  assert.equal(connection.pendingCount, 0);
  connection.dispose();
  assert.deepEqual(engine.children[0]!.sent.at(-1), { type: 'shutdown' });
});

test('engine errors reject with their code, message and file', async () => {
  const engine = fakeEngine((child, m) => {
    if (m.type === 'request') child.reply({ type: 'error', id: m.id, error: { code: 'bad-model', message: '/m/model.json: no modelTopology', file: '/m/model.json' } });
  });
  const connection = new EngineConnection(engine.start);
  await assert.rejects(connection.request('inspect', { model: '/m/model.json' }), (error: unknown) => {
    assert.ok(error instanceof EngineRequestError);
    assert.equal(error.code, 'bad-model');
    assert.equal(error.file, '/m/model.json');
    assert.match(error.message, /no modelTopology/);
    return true;
  });
  connection.dispose();
});

test('a process exit rejects every pending request readably and the next request restarts it', async () => {
  let answer = false;
  const engine = fakeEngine((child, m) => {
    if (m.type === 'request' && answer) child.reply({ type: 'result', id: m.id, result: inspectResult });
  });
  const exits: string[] = [];
  const connection = new EngineConnection(engine.start, { exited: (d) => exits.push(d) });
  const first = connection.request('prune', { model: '/m/model.json', data: '/d', method: 'afcc' });
  const second = connection.request('inspect', { model: '/m/model.json' });
  await new Promise((r) => setImmediate(r));
  engine.children[0]!.kill();
  for (const pending of [first, second]) {
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof EngineRequestError);
      assert.match(error.message, /engine was killed \(SIGKILL\).*restarts on the next request/);
      return true;
    });
  }
  assert.equal(exits.length, 1);
  answer = true;
  assert.deepEqual(await connection.request('inspect', { model: '/m/model.json' }), inspectResult);
  assert.equal(engine.children.length, 2, 'a fresh process served the next request');
  connection.dispose();
});

test('cancel sends a cancel message and settles as cancelled when the engine acknowledges', async () => {
  const engine = fakeEngine((child, m) => {
    if (m.type === 'cancel') child.reply({ type: 'cancelled', id: m.id });
  });
  const connection = new EngineConnection(engine.start, {}, 200);
  const token = new Token();
  const pending = connection.request('analyze', { model: '/m/model.json', data: '/d' }, { token });
  token.cancel();
  await assert.rejects(pending, (error: unknown) => error instanceof EngineRequestError && error.code === 'cancelled');
  assert.deepEqual(engine.children[0]!.sent.map((m) => m.type), ['request', 'cancel']);
  assert.equal(engine.children[0]!.killed, false, 'an acknowledging engine is not killed');
  connection.dispose();
});

test('an engine that ignores cancel is killed after the grace period and restarted on demand', async () => {
  const engine = fakeEngine();
  const logs: string[] = [];
  const connection = new EngineConnection(engine.start, { log: (_l, m) => logs.push(m) }, 50);
  const token = new Token();
  const started = Date.now();
  const pending = connection.request('prune', { model: '/m/model.json', data: '/d', method: 'afcc' }, { token });
  token.cancel();
  await assert.rejects(pending, (error: unknown) => error instanceof EngineRequestError && error.code === 'cancelled');
  assert.ok(Date.now() - started >= 45, 'waited for the grace period');
  assert.equal(engine.children[0]!.killed, true);
  assert.ok(logs.some((l) => /did not stop prune/.test(l)));
  const next = connection.request('inspect', { model: '/m/model.json' });
  await new Promise((r) => setImmediate(r));
  assert.equal(engine.children.length, 2);
  engine.children[1]!.reply({ type: 'result', id: 2, result: inspectResult });
  assert.deepEqual(await next, inspectResult);
  connection.dispose();
});

test('an already-cancelled token never reaches the engine; a disposed client refuses requests', async () => {
  const engine = fakeEngine();
  const connection = new EngineConnection(engine.start);
  const token = new Token();
  token.cancel();
  await assert.rejects(connection.request('inspect', { model: '/x' }, { token }), /cancelled/);
  assert.equal(engine.children.length, 0);
  connection.dispose();
  await assert.rejects(connection.request('inspect', { model: '/x' }), /shut down/);
});

test('log messages, ready info and process output reach the events', async () => {
  const engine = fakeEngine();
  const logs: string[] = [];
  let readyPid = 0;
  const connection = new EngineConnection(engine.start, {
    log: (level, message) => logs.push(`${level}:${message}`),
    ready: (info) => (readyPid = info.pid),
  });
  const pending = connection.request('inspect', { model: '/x' });
  const child = engine.children[0]!;
  child.handlers.message({ type: 'ready', info: { version: '0.1.0', backend: 'wasm', pid: 42, memoryMB: 0 } });
  child.handlers.message({ type: 'log', level: 'warn', time: new Date().toISOString(), message: 'slow backend' });
  child.handlers.output('native warning', 'stderr');
  child.handlers.message({ type: 'result', id: 1, result: inspectResult });
  await pending;
  assert.equal(readyPid, 42);
  assert.equal(connection.info?.backend, 'wasm');
  assert.deepEqual(logs, ['warn:slow backend', 'warn:native warning']);
  connection.dispose();
});
