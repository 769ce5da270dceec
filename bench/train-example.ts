// Trains the example model of examples/fashion-vgg (METHOD.md §12.2/§14 VGG on Fashion-MNIST) on
// Quench's fast training path, seeded, and saves it through Quench's writers.
//   node --import tsx bench/train-example.ts [--epochs 2] [--limit 60000] [--batch 64] [--seed 1]
//     [--data /usr/share/datasets/fashion-mnist] [--out examples/fashion-vgg]
//     [--lr 2e-3] [--init <model.json>]  (--init: go on training a saved model instead of a new one)
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { finetune, graphAccuracy } from '../src/engine/train/finetune';
import { TrainingGraph } from '../src/engine/train/graph';
import { quietContext, type JobContext } from '../src/engine/core/context';
import { openModel, saveModel } from '../src/engine/formats/index';
import type { ModelFormat } from '../src/protocol/report';
import { FASHION_DIR, fashionMnist } from './train-data';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** The example VGG: blocks 32, 32M, 64, 64M, 128, 128M (conv3x3+bias, BN ε=1e-5, ReLU), bias-free softmax head. */
export function buildFashionVgg(seed: number): tf.Sequential {
  const model = tf.sequential({ name: 'fashion_vgg' });
  const widths = [32, 32, 64, 64, 128, 128];
  widths.forEach((filters, i) => {
    const n = i + 1;
    model.add(tf.layers.conv2d({
      name: `conv${n}`, filters, kernelSize: 3, padding: 'same', useBias: true,
      kernelInitializer: tf.initializers.heNormal({ seed: seed + n }),
      ...(i === 0 ? { inputShape: [28, 28, 1] } : {}),
    }));
    model.add(tf.layers.batchNormalization({ name: `bn${n}`, axis: 3, epsilon: 1e-5, momentum: 0.9 }));
    model.add(tf.layers.reLU({ name: `relu${n}` }));
    if (n % 2 === 0) model.add(tf.layers.maxPooling2d({ name: `pool${n}`, poolSize: 2, strides: 2 }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'output', units: 10, useBias: false, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }) }));
  return model;
}

async function main(): Promise<void> {
  const epochs = Number(argument('epochs', '2'));
  const limit = Number(argument('limit', '60000'));
  const batchSize = Number(argument('batch', '64'));
  const seed = Number(argument('seed', '1'));
  const out = path.resolve(argument('out', 'examples/fashion-vgg'));
  await tf.setBackend('wasm');
  await tf.ready();
  const dataDir = argument('data', FASHION_DIR);
  const train = await fashionMnist('train', dataDir, limit);
  const test = await fashionMnist('t10k', dataDir);
  const init = argument('init', '');
  const learningRate = Number(argument('lr', '2e-3'));
  const model = init ? ((await openModel(path.resolve(init))).model as tf.Sequential) : buildFashionVgg(seed);
  let last = 0;
  const ctx: JobContext = {
    ...quietContext(),
    progress: (p) => {
      if (Date.now() - last < 15000 && p.step !== undefined) return;
      last = Date.now();
      console.log(JSON.stringify(p));
    },
  };
  const began = Date.now();
  const info = await finetune(model, [], train, {
    epochs, batchSize, optimizer: 'adam', learningRate, learningRateDecay: 0.5, weightDecay: 0, seed, augment: {},
  }, ctx);
  const minutes = (Date.now() - began) / 60000;
  const graph = new TrainingGraph(model, [], new Set());
  const accuracy = await graphAccuracy(graph, test, 0, test.size, quietContext());
  graph.dispose();
  const check = tf.tidy(() => model.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor);
  check.dispose();
  console.log(JSON.stringify({ init: init || undefined, learningRate, epochs, limit, batchSize, seed, minutes: Number(minutes.toFixed(2)), samplesPerSecond: Math.round(info.samplesPerSecond), history: info.history, testAccuracy: accuracy }));
  const targets: [ModelFormat, string][] = [['tfjs-layers', 'model.json'], ['keras-h5', 'fashion-vgg.h5'], ['keras-v3', 'fashion-vgg.keras']];
  for (const [format, name] of targets) {
    try {
      const written = await saveModel(model, path.join(out, name), format);
      console.log(`saved ${format}: ${written.join(', ')}`);
    } catch (error) {
      console.log(`not saved as ${format}: ${(error as Error).message}`);
    }
  }
}

if (process.argv.includes('--run') || (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? ''))) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
