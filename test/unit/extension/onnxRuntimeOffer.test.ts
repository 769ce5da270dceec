// The ONNX Runtime offer after a job: only for .onnx models, only where the engine says
// onnxruntime-node is not installed (not turned off, not broken), once per session, never again
// after "Don't Ask Again" (global state), and "Install" runs the install command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineInfo } from '../../../src/protocol/engine';
import { DONT_ASK_KEY, ONNX_RUNTIME_OFFER, OnnxRuntimeOffer, type OfferHost } from '../../../src/extension/jobs/onnxRuntimeOffer';

const NOT_INSTALLED: EngineInfo['onnxRuntime'] = { available: false, reason: 'onnxruntime-node is not installed' };

function fakeHost(status: EngineInfo['onnxRuntime'] | 'no-engine', answers: (string | undefined)[] = []) {
  let onnxRuntime = status;
  const state = new Map<string, unknown>();
  const asked: { message: string; buttons: string[] }[] = [];
  let installs = 0;
  const host: OfferHost = {
    state: { get: <T>(key: string) => state.get(key) as T | undefined, update: async (key, value) => void state.set(key, value) },
    info: async () => {
      if (onnxRuntime === 'no-engine') throw new Error('the engine exited');
      return { version: '0.1.0', backend: 'wasm', pid: 1, memoryMB: 1, onnxRuntime };
    },
    ask: async (message, ...buttons) => {
      asked.push({ message, buttons });
      return answers.shift();
    },
    install: async () => installs++,
  };
  return { host, state, asked, installs: () => installs, engineSays: (next: typeof status) => (onnxRuntime = next) };
}

test('an .onnx job where ONNX Runtime is not installed asks once, with the three buttons; later jobs do not ask', async () => {
  const fake = fakeHost(NOT_INSTALLED, ['Not Now']);
  const offer = new OnnxRuntimeOffer(fake.host);
  assert.equal(await offer.jobDone('/w/models/net.h5'), 'not-onnx');
  assert.equal(fake.asked.length, 0);
  // Two jobs ending together: one message.
  assert.deepEqual(await Promise.all([offer.jobDone('/w/models/resnet.onnx'), offer.jobDone('/w/models/other.ONNX')]), ['Not Now', 'asked-before']);
  assert.deepEqual(fake.asked, [{ message: ONNX_RUNTIME_OFFER, buttons: ['Install', 'Not Now', "Don't Ask Again"] }]);
  assert.equal(ONNX_RUNTIME_OFFER, 'ONNX models evaluate several times faster with ONNX Runtime (115 MB download).');
  assert.equal(await offer.jobDone('/w/models/resnet.onnx'), 'asked-before');
  assert.equal(fake.asked.length, 1);
  assert.equal(fake.installs(), 0);
  assert.equal(fake.state.size, 0, '"Not Now" stores nothing');
});

test('"Install" runs the install command; a dismissed message is not asked again this session', async () => {
  const fake = fakeHost(NOT_INSTALLED, ['Install']);
  assert.equal(await new OnnxRuntimeOffer(fake.host).jobDone('/w/a.onnx'), 'Install');
  assert.equal(fake.installs(), 1);

  const dismissed = fakeHost(NOT_INSTALLED, [undefined]);
  const offer = new OnnxRuntimeOffer(dismissed.host);
  assert.equal(await offer.jobDone('/w/a.onnx'), 'dismissed');
  assert.equal(await offer.jobDone('/w/a.onnx'), 'asked-before');
  assert.equal(dismissed.installs(), 0);
});

test('"Don\'t Ask Again" is kept in global state: a new session does not ask', async () => {
  const fake = fakeHost(NOT_INSTALLED, ["Don't Ask Again"]);
  assert.equal(await new OnnxRuntimeOffer(fake.host).jobDone('/w/a.onnx'), "Don't Ask Again");
  assert.equal(fake.state.get(DONT_ASK_KEY), true);
  assert.equal(await new OnnxRuntimeOffer(fake.host).jobDone('/w/a.onnx'), 'declined');
  assert.equal(fake.asked.length, 1);
});

test('not offered where ONNX Runtime is available, turned off or installed but broken; asked later where the engine could not say', async () => {
  const cases: EngineInfo['onnxRuntime'][] = [
    { available: true, version: '1.31.1', from: '/storage/onnxruntime/node_modules/onnxruntime-node' },
    { available: false, reason: 'QUENCH_ONNXRUNTIME=off turns it off' },
    { available: false, reason: "not loadable: onnxruntime-node: Cannot find module 'onnxruntime-common'" },
  ];
  for (const status of cases) {
    const fake = fakeHost(status);
    assert.equal(await new OnnxRuntimeOffer(fake.host).jobDone('/w/a.onnx'), 'not-wanted', JSON.stringify(status));
    assert.equal(fake.asked.length, 0);
  }
  // An engine that did not report it or that died: nothing now, and a later job asks.
  for (const status of [undefined, 'no-engine'] as const) {
    const fake = fakeHost(status, ['Not Now']);
    const offer = new OnnxRuntimeOffer(fake.host);
    assert.equal(await offer.jobDone('/w/a.onnx'), 'not-wanted');
    assert.equal(fake.asked.length, 0);
    fake.engineSays(NOT_INSTALLED);
    assert.equal(await offer.jobDone('/w/a.onnx'), 'Not Now');
    assert.equal(fake.asked.length, 1);
  }
});
