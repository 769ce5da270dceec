// The fuzz test's reader process: opens each file it is sent with the engine's readers (model
// loading as jobs do it, or a dataset read to its last batch) and reports the outcome. A separate
// process, so a hang or a crash is observed from outside instead of stopping the test.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openDataset } from '../../src/engine/data';
import { disposeModel, loadModelForJob } from '../../src/engine/jobs/common';
import { EngineFailure } from '../../src/engine/core/errors';
import { quietContext } from '../../src/engine/core/context';
import { initBackend } from '../../src/engine/backend';

export interface OpenRequest {
  i: number;
  kind: 'model' | 'data';
  file: string;
}
export interface OpenResult {
  i: number;
  outcome: 'opened' | 'failure' | 'error';
  code?: string;
  message?: string;
  tensors: number;
  rssMB: number;
}

const repoRoot = path.resolve(__dirname, '../..');

async function open(request: OpenRequest): Promise<void> {
  if (request.kind === 'model') {
    disposeModel(await loadModelForJob(request.file, quietContext()));
    return;
  }
  const dataset = await openDataset(request.file, { inputShape: [8, 8, 1], classes: 10 });
  try {
    for await (const batch of dataset.batches({ batchSize: 64 })) batch.x.dispose();
  } finally {
    dataset.close?.();
  }
}

async function handle(request: OpenRequest): Promise<OpenResult> {
  const base = { i: request.i };
  let result: Omit<OpenResult, 'tensors' | 'rssMB'>;
  try {
    await open(request);
    result = { ...base, outcome: 'opened' };
  } catch (error) {
    result =
      error instanceof EngineFailure
        ? { ...base, outcome: 'failure', code: error.code, message: error.message }
        : { ...base, outcome: 'error', message: (error as Error)?.stack ?? String(error) };
  }
  return { ...result, tensors: tf.memory().numTensors, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) };
}

async function main(): Promise<void> {
  process.env['QUENCH_BACKEND'] = 'cpu';
  await initBackend();
  // Warm up what loads lazily (h5wasm's WebAssembly), so the per-file time limit measures reading.
  disposeModel(await loadModelForJob(path.join(repoRoot, 'test/fixtures/keras/sequential_cnn.h5'), quietContext()));
  disposeModel(await loadModelForJob(path.join(repoRoot, 'test/fixtures/tiny/model.json'), quietContext()));
  process.send!({ ready: true, tensors: tf.memory().numTensors, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) });
  process.on('message', (request: OpenRequest) => {
    void handle(request).then((result) => process.send!(result));
  });
  process.on('disconnect', () => process.exit(0));
}

void main();
