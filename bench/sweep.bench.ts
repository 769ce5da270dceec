// Table 3 of docs/benchmarks.md — the high-dilution sweep on the example model: AFCC at several
// target sparsities and magnitude pruning at AFCC's exact per-layer sparsity, each with BatchNorm
// re-estimated and then fine-tuned with the same budget; the largest sparsity within 0.5 pp of the
// unpruned model for each. One SFP analysis serves every sparsity (what `quench compare
// --target-sparsity s --methods afcc,magnitude` does once per s), so the sweep costs one analysis.
//   node --import tsx bench/sweep.bench.ts [--sweep 0.5,0.7,0.8,0.9,0.95] [--limit 2000]
//     [--train-data <folder>] [--train-samples 4000] [--finetune-epochs 1] [--seed 1] [--smoke]
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { AccuracyResult } from '../src/protocol/report';
import { initBackend } from '../src/engine/backend';
import { evaluate } from '../src/engine/eval/evaluate';
import { openTrainingData, runSfp, sfpOptions } from '../src/engine/jobs/analyze';
import { disposeModel, loadDatasetForModel, loadModelForJob } from '../src/engine/jobs/common';
import { finetuneSettings, recalibrated } from '../src/engine/jobs/prune';
import { applyMasks } from '../src/engine/prune/apply';
import { afccPlan } from '../src/engine/prune/methods';
import { kernelSparsity, planAtReference, resolveTargets } from '../src/engine/prune/pipeline';
import { modelGraph, unitsNeeded } from '../src/engine/sfp/graph';
import { finetune } from '../src/engine/train/finetune';
import { writeFashionSubset } from './fashion-subset';
import { arg, DEFAULT_TEST_DATA, EXAMPLE_MODEL, EXAMPLE_TEST_SUBSET, haveFashion, machineLine, smoke, stageContext, writeResult } from './lib/common';

const data = DEFAULT_TEST_DATA;
const sweep = arg('sweep', smoke ? '0.8' : '0.5,0.7,0.8,0.9,0.95').split(',').map(Number);
const limit = Number(arg('limit', smoke ? '100' : '2000'));
const trainSamples = Number(arg('train-samples', smoke ? '128' : '4000'));
// Default: 1 fine-tuning epoch per point on the training subset (the budget of the compare bench;
// ~5 minutes for the 8 points on 2 idle cores); --finetune-epochs 0 stops at BatchNorm re-estimation.
const epochs = Number(arg('finetune-epochs', '1'));
const seed = Number(arg('seed', '1'));
const readoutEpochs = smoke ? 1 : undefined;

interface Point { target: number; method: string; layerSparsity: Record<string, number>; targeted: number; masked: number; bn?: number; finetuned?: number }

async function main(): Promise<void> {
  const trainData = arg('train-data', '') || (haveFashion
    ? writeFashionSubset('train', trainSamples, path.join(os.tmpdir(), `quench-bench-train-${trainSamples}`))
    : writeFashionSubset('t10k', Math.min(trainSamples, 2000), path.join(os.tmpdir(), `quench-bench-test-${trainSamples}`), path.dirname(EXAMPLE_TEST_SUBSET)));
  const ctx = stageContext();
  const machineAtStart = machineLine(await initBackend());
  const loaded = await loadModelForJob(EXAMPLE_MODEL, ctx);
  const evalData = await loadDatasetForModel(data, loaded, { limit });
  const train = await openTrainingData(trainData, data, loaded, []);
  const model = loaded.model;
  const original: tf.Tensor[] = model.getWeights().map((w) => w.clone());
  const points: Point[] = [];
  try {
    const top1 = async (stage: string) => (await evaluate(model, evalData, ctx, { stage })).accuracy.top1;
    const baseline = await top1('evaluate-before');
    const graph = modelGraph(model);
    const targets = resolveTargets(graph, undefined, 'afcc');
    const options = sfpOptions({ seed, readoutEpochs }, { blocks: unitsNeeded(graph, targets), poolTo: null, trainData: train ?? undefined });
    const analysis = await runSfp(loaded, evalData, options, ctx);
    console.log(`node --import tsx bench/sweep.bench.ts --sweep ${sweep.join(',')} --limit ${limit} --train-samples ${trainSamples} --finetune-epochs ${epochs} --seed ${seed}${smoke ? ' --smoke' : ''}`);
    console.log(`${machineAtStart}; eval ${evalData.size} samples of ${data}; fine-tuning on ${train?.size} samples of ${trainData}; unpruned top-1 ${(baseline * 100).toFixed(2)}%\n`);
    console.log('| target | method | sparsity per layer | targeted | after masking | BN re-est. | fine-tuned | Δ fine-tuned (pp) |\n|---:|---|---|---:|---:|---:|---:|---:|');
    for (const target of sweep) {
      let reference: ReturnType<typeof afccPlan>;
      try {
        reference = afccPlan(analysis, targets, options.threshold, target);
      } catch (error) {
        // AFCC's sparsity is bounded by the smallest label sets (every filter keeps its own labels).
        console.log(`| ${target} | afcc, magnitude | not reachable: ${(error as Error).message} | | | | | |`);
        continue;
      }
      const threshold = reference.threshold ?? options.threshold;
      for (const method of ['afcc', 'magnitude'] as const) {
        const plan = planAtReference(method, { graph, targets, seed, threshold, analysis }, reference.masks, threshold);
        applyMasks(model, plan.masks);
        const masked = await top1(`evaluate-${method}`);
        const bn: AccuracyResult | undefined = train ? await recalibrated(model, graph, train, evalData, ctx, []) : undefined;
        let finetuned: number | undefined;
        if (epochs > 0 && train) {
          await finetune(model, plan.masks, train, finetuneSettings({ epochs, trainData }, seed), ctx);
          finetuned = await top1(`evaluate-${method}-finetuned`);
        }
        const sparsity = kernelSparsity(model, plan.masks);
        const point: Point = { target, method, layerSparsity: sparsity.perLayer, targeted: sparsity.overall, masked, bn: bn?.top1, finetuned };
        points.push(point);
        model.setWeights(original);
        const p = (v?: number) => (v === undefined ? '—' : (v * 100).toFixed(2));
        const delta = finetuned === undefined ? '—' : `${finetuned >= baseline ? '+' : ''}${((finetuned - baseline) * 100).toFixed(2)}`;
        console.log(`| ${target} | ${method} | ${Object.entries(point.layerSparsity).map(([l, s]) => `${l} ${p(s)}%`).join(', ')} | ${p(point.targeted)}% | ${p(masked)} | ${p(bn?.top1)} | ${p(finetuned)} | ${delta} |`);
      }
    }
    // Without fine-tuning (--finetune-epochs 0) the criterion is read on the BatchNorm re-estimated model.
    const final = (q: Point) => (epochs > 0 ? q.finetuned : q.bn);
    const best = (method: string) => {
      const ok = points.filter((q) => q.method === method && final(q) !== undefined && final(q)! >= baseline - 0.005);
      return ok.length ? `${(Math.max(...ok.map((q) => q.targeted)) * 100).toFixed(1)}%` : 'none of the tried sparsities';
    };
    console.log(`\nLargest targeted sparsity within 0.5 pp of unpruned ${epochs > 0 ? 'after fine-tuning' : 'with BatchNorm re-estimated, no fine-tuning'}: AFCC ${best('afcc')}, magnitude ${best('magnitude')}. (${machineLine()} at the end)`);
    writeResult('sweep', { machineAtStart, machineAtEnd: machineLine(), baseline, evalSamples: evalData.size, trainSamples: train?.size, epochs, seed, points });
  } finally {
    original.forEach((t) => t.dispose());
    evalData.close?.();
    train?.close?.();
    disposeModel(loaded);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
