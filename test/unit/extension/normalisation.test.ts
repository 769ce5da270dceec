// The dataset step's normalisation question (commands/normalisation.ts) with a fake quick pick and
// a fake engine: who is asked, what each answer writes, and that dismissing stops the flow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatasetDescriptorParams, DatasetDescriptorResult } from '../../../src/protocol/engine';
import {
  asksNormalisation, confirmNormalisation, type NormalisationAnswer, type NormalisationIo, type NormalisationItem,
} from '../../../src/extension/commands/normalisation';

const onnx = { path: '/ws/net.onnx', name: 'net', format: 'onnx' as const };

interface Fake {
  io: NormalisationIo;
  requests: DatasetDescriptorParams[];
  picks: { items: NormalisationItem[]; title: string }[];
  lines: string[];
  errors: string[];
}

function fake(options: { shape?: number[]; state?: Partial<DatasetDescriptorResult>; answer?: NormalisationAnswer | 'dismiss'; failDescriptor?: string; failSet?: string }): Fake {
  const f: Fake = { requests: [], picks: [], lines: [], errors: [], io: undefined as unknown as NormalisationIo };
  f.io = {
    inputShape: async () => options.shape ?? [3, 32, 32],
    descriptor: async (params) => {
      f.requests.push(params);
      if (options.failDescriptor) throw new Error(options.failDescriptor);
      if (params.set) {
        if (options.failSet) throw new Error(options.failSet);
        return { descriptor: '/ws/data/dataset.json', ...params.set, target: '/ws/data/dataset.json' };
      }
      return { target: '/ws/data/dataset.json', ...options.state };
    },
    pick: async (items, o) => {
      f.picks.push({ items, title: o.title });
      return options.answer === 'dismiss' ? undefined : items.find((i) => i.answer === (options.answer ?? 'later'));
    },
    relative: (file) => file.replace('/ws/', ''),
    info: (m) => f.lines.push(m),
    warn: (m) => f.lines.push(`warn: ${m}`),
    error: (m) => f.errors.push(m),
  };
  return f;
}

describe('the normalisation question', () => {
  it('is for ONNX models whose [C, H, W] input has 3 channels only', () => {
    assert.equal(asksNormalisation('onnx', [3, 224, 224]), true);
    assert.equal(asksNormalisation('onnx', [1, 28, 28]), false);
    assert.equal(asksNormalisation('onnx', [784]), false);
    assert.equal(asksNormalisation('tfjs-layers', [3, 32, 32]), false);
  });

  it('asks once the data states no mean/std and saves ImageNet mean/std in the target, logging a line', async () => {
    const f = fake({ answer: 'imagenet' });
    assert.equal(await confirmNormalisation(f.io, onnx, '/ws/data/test_batch.bin'), true);
    assert.equal(f.picks.length, 1);
    assert.equal(f.picks[0]!.title, 'net: input normalisation');
    assert.deepEqual(f.picks[0]!.items.map((i) => i.label), ['ImageNet mean/std', 'Pixels 0..1 only', 'Decide later']);
    assert.equal(
      f.picks[0]!.items[0]!.detail,
      "mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] on 0..1 pixels (torchvision's default) — saved in data/dataset.json",
    );
    assert.deepEqual(f.requests, [{ data: '/ws/data/test_batch.bin' }, { data: '/ws/data/test_batch.bin', set: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }]);
    assert.equal(f.lines.length, 1);
    assert.match(f.lines[0]!, /^net: mean \[0\.485, 0\.456, 0\.406\], std \[0\.229, 0\.224, 0\.225\] saved in data\/dataset\.json/);
    assert.deepEqual(f.errors, []);
  });

  it('"Pixels 0..1 only" saves mean 0, std 1 so the question is not asked again', async () => {
    const f = fake({ answer: 'pixels' });
    assert.equal(await confirmNormalisation(f.io, onnx, '/ws/data'), true);
    assert.deepEqual(f.requests[1]!.set, { mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('"Decide later" writes nothing and goes on', async () => {
    const f = fake({ answer: 'later' });
    assert.equal(await confirmNormalisation(f.io, onnx, '/ws/data'), true);
    assert.deepEqual(f.requests, [{ data: '/ws/data' }]);
  });

  it('dismissing stops the flow and writes nothing', async () => {
    const f = fake({ answer: 'dismiss' });
    assert.equal(await confirmNormalisation(f.io, onnx, '/ws/data'), false);
    assert.deepEqual(f.requests, [{ data: '/ws/data' }]);
  });

  it('is not asked where the descriptor states mean or std, for other formats, or for 1-channel models', async () => {
    for (const f of [fake({ state: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], descriptor: '/ws/data/dataset.json' } }), fake({ state: { std: [1] } })]) {
      assert.equal(await confirmNormalisation(f.io, onnx, '/ws/data'), true);
      assert.equal(f.picks.length, 0);
    }
    const keras = fake({});
    assert.equal(await confirmNormalisation(keras.io, { ...onnx, format: 'keras-h5' }, '/ws/data'), true);
    assert.deepEqual([keras.picks.length, keras.requests.length], [0, 0]);
    const gray = fake({ shape: [1, 28, 28] });
    assert.equal(await confirmNormalisation(gray.io, onnx, '/ws/data'), true);
    assert.deepEqual([gray.picks.length, gray.requests.length], [0, 0]);
  });

  it('a descriptor the engine refuses is left to the job (logged, not asked); a failed save stops the flow with an error', async () => {
    const broken = fake({ failDescriptor: '/ws/data/dataset.json: the dataset descriptor is not valid JSON (x)' });
    assert.equal(await confirmNormalisation(broken.io, onnx, '/ws/data'), true);
    assert.equal(broken.picks.length, 0);
    assert.match(broken.lines[0]!, /^warn: .*not valid JSON/);
    const unwritable = fake({ answer: 'imagenet', failSet: '/ws/data/dataset.json: could not write the dataset descriptor: EACCES' });
    assert.equal(await confirmNormalisation(unwritable.io, onnx, '/ws/data'), false);
    assert.match(unwritable.errors[0]!, /not saved: .*EACCES/);
  });
});
