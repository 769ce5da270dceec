// The `quench` subcommands: their flags, and how flags map onto the engine's request params.
import { IMAGENET_NORMALISATION, type AnalyzeParams, type CompareParams, type EngineMethod, type EngineRequests, type FinetuneOptions, type PruneParams, type SweepParams } from '../protocol/engine';
import type { BudgetObjective, ModelFormat, PruneMethod } from '../protocol/report';
import { type FlagSpec, type FlagValues, get, oneOf, UsageError } from './args';

export const PRUNE_METHODS: readonly PruneMethod[] = ['afcc', 'afcc-balanced', 'afcc-hybrid', 'magnitude', 'global-magnitude', 'l1-kernel', 'random', 'random-afcc', 'sfp-filters'];
/** What `compare` runs without --methods: AFCC and the baselines (the AFCC variants on request). */
const COMPARE_DEFAULT = PRUNE_METHODS.filter((m) => m !== 'sfp-filters' && m !== 'afcc-balanced' && m !== 'afcc-hybrid');
const FORMATS: readonly ModelFormat[] = ['tfjs-layers', 'keras-h5', 'keras-v3', 'onnx'];
const OBJECTIVES: readonly BudgetObjective[] = ['params', 'macs', 'size'];
/**
 * The method of a budgeted prune without --method: magnitude, the method that removes the most
 * within a budget on the example (docs/benchmarks.md §10) at one sensitivity scan; `auto` scans
 * every AFCC variant as well and costs several times as much.
 */
export const BUDGET_DEFAULT_METHOD: PruneMethod | 'auto' = 'magnitude';

export interface CommandSpec<M extends EngineMethod = EngineMethod> {
  name: string;
  method: M;
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** What the one positional argument names (default: a model). */
  positional?: string;
  toParams(model: string, flags: FlagValues): EngineRequests[M]['params'];
  /** The human-readable output, for results that are not reports. */
  render?(result: EngineRequests[M]['result']): string;
}

const json: FlagSpec = { name: 'json', kind: 'boolean', help: 'Print the JSON report instead of tables' };
const data: FlagSpec = { name: 'data', kind: 'string', value: '<path>', help: 'Evaluation data: IDX pair (file or folder), .npz/.npy, CIFAR binary batch, image folder' };
const limit: FlagSpec = { name: 'limit', kind: 'int', value: '<N>', help: 'Use only the first N samples' };
const layers: FlagSpec = { name: 'layers', kind: 'list', value: '<a,b>', help: 'Layer names (comma-separated)' };
const threshold: FlagSpec = { name: 'threshold', kind: 'number', value: '<t>', help: 'SFP cluster threshold (default 0.3)' };
const seed: FlagSpec = { name: 'seed', kind: 'int', value: '<n>', help: 'Random seed' };
const readoutEpochs: FlagSpec = { name: 'readout-epochs', kind: 'int', value: '<N>', help: 'Epochs to train each SFP readout' };
const targetSparsity: FlagSpec = { name: 'target-sparsity', kind: 'number', value: '<s>', help: 'AFCC: search the threshold to reach this sparsity (0..1) on the targeted layers' };
const finetuneFlags: FlagSpec[] = [
  { name: 'finetune-epochs', kind: 'int', value: '<N>', help: 'Fine-tune the pruned model for N epochs (masks kept)' },
  { name: 'train-data', kind: 'string', value: '<path>', help: 'Training data for the SFP readouts, BatchNorm re-estimation and fine-tuning (default: the training split beside --data)' },
  { name: 'train-layers', kind: 'list', value: '<a,b>', help: 'Layers to fine-tune (default: the masked layers, the weight layers feeding them and their BatchNorms; every layer when nothing is masked)' },
  { name: 'optimizer', kind: 'string', value: 'sgd|adam', help: 'Fine-tuning optimizer' },
  { name: 'lr', kind: 'number', value: '<x>', help: 'Fine-tuning learning rate' },
  { name: 'batch-size', kind: 'int', value: '<n>', help: 'Fine-tuning batch size' },
  { name: 'train-limit', kind: 'int', value: '<N>', help: 'Fine-tune on only the first N training samples' },
];

function requireData(flags: FlagValues): string {
  const path = get.string(flags, 'data');
  if (!path) throw new UsageError('--data <path> is required');
  return path;
}

function fraction(flags: FlagValues, name: string): number | undefined {
  const value = get.number(flags, name);
  if (value !== undefined && (value < 0 || value > 1)) throw new UsageError(`--${name} must be between 0 and 1, not ${value}`);
  return value;
}

/** Training data named without --finetune-epochs: it feeds the readouts and BatchNorm re-estimation (and a budget's default epoch). */
function trainDataAlone(flags: FlagValues): string | undefined {
  return get.number(flags, 'finetune-epochs') === undefined ? get.string(flags, 'train-data') : undefined;
}

function finetune(flags: FlagValues): FinetuneOptions | undefined {
  const epochs = get.number(flags, 'finetune-epochs');
  // --train-data alone is enough: readouts and BatchNorm re-estimation read it, a budget fine-tunes on it.
  const others = ['train-layers', 'optimizer', 'lr', 'batch-size', 'train-limit'].filter((n) => flags[n] !== undefined);
  if (epochs === undefined) {
    if (others.length > 0) throw new UsageError(`--${others[0]} needs --finetune-epochs <N>`);
    return undefined;
  }
  const options: FinetuneOptions = { epochs };
  const trainData = get.string(flags, 'train-data');
  const trainLayers = get.list(flags, 'train-layers');
  const optimizer = oneOf(get.string(flags, 'optimizer'), ['sgd', 'adam'] as const, 'optimizer');
  const lr = get.number(flags, 'lr');
  const batchSize = get.number(flags, 'batch-size');
  const trainLimit = get.number(flags, 'train-limit');
  if (trainLimit !== undefined) options.trainLimit = trainLimit;
  if (trainData !== undefined) options.trainData = trainData;
  if (trainLayers !== undefined) options.trainLayers = trainLayers;
  if (optimizer !== undefined) options.optimizer = optimizer;
  if (lr !== undefined) options.learningRate = lr;
  if (batchSize !== undefined) options.batchSize = batchSize;
  return options;
}

/** Drops undefined values so the params hold only what the user set. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const inspect: CommandSpec<'inspect'> = {
  name: 'inspect',
  method: 'inspect',
  usage: 'quench inspect <model> [--json]',
  summary: 'Per-layer parameters, zeros, sparsity, filters and MACs, with totals and file sizes.',
  flags: [json],
  toParams: (model) => ({ model }),
};

const evaluate: CommandSpec<'evaluate'> = {
  name: 'eval',
  method: 'evaluate',
  usage: 'quench eval <model> --data <path> [--limit N] [--json]',
  summary: 'Top-1 / top-5 accuracy, per-class accuracy, loss and the confusion matrix on a dataset.',
  flags: [data, limit, json],
  toParams: (model, flags) => defined({ model, data: requireData(flags), limit: get.number(flags, 'limit') }),
};

const analyze: CommandSpec<'analyze'> = {
  name: 'analyze',
  method: 'analyze',
  usage: 'quench analyze <model> --data <path> [options]',
  summary: 'Single-filter-performance (SFP) analysis: per-filter label clusters, noise and SNR per layer.',
  flags: [data, limit, layers, readoutEpochs, threshold, seed, { name: 'matrices', kind: 'string', value: '<file>', help: 'Write the per-filter C×C matrices to this file (binary: JSON header, then float32)' }, json],
  toParams: (model, flags): AnalyzeParams =>
    defined({
      model,
      data: requireData(flags),
      limit: get.number(flags, 'limit'),
      layers: get.list(flags, 'layers'),
      readoutEpochs: get.number(flags, 'readout-epochs'),
      threshold: fraction(flags, 'threshold'),
      seed: get.number(flags, 'seed'),
      matricesPath: get.string(flags, 'matrices'),
    }),
};

const budgetFlags: FlagSpec[] = [
  { name: 'max-drop', kind: 'number', value: '<pp>', help: 'Accuracy budget: prune as much as keeps held-out top-1 within this many percentage points (searches per-layer sparsities; --method magnitude by default, auto to try every AFCC variant too)' },
  { name: 'objective', kind: 'string', value: '<o>', help: `With --max-drop: what to remove the most of: ${OBJECTIVES.join(', ')} (default params)` },
  { name: 'held-out', kind: 'number', value: '<share>', help: 'With --max-drop: share of --data held out from the search for the reported figure (default 0.5)' },
  { name: 'ladder', kind: 'list', value: '<s,s>', help: 'With --max-drop: per-layer sparsities of the sensitivity scan (default 0.3,0.5,0.7,0.8,0.9,0.95)' },
  { name: 'cache', kind: 'boolean', negatable: true, help: 'With --max-drop: reuse the sensitivity scan cached in .quench/cache/ beside the model (default on)' },
];

function numberList(flags: FlagValues, name: string): number[] | undefined {
  return get.list(flags, name)?.map((item) => {
    const n = Number(item);
    if (!Number.isFinite(n) || !(n > 0 && n <= 1)) throw new UsageError(`--${name} takes sparsities in (0, 1], not "${item}"`);
    return n;
  });
}

/** --max-drop and its companions, refused readably where they contradict. */
function budget(flags: FlagValues): Pick<PruneParams, 'maxDrop' | 'objective' | 'heldOut' | 'ladder' | 'cache'> {
  const maxDrop = get.number(flags, 'max-drop');
  const companions = ['objective', 'held-out', 'ladder', 'cache'].filter((n) => flags[n] !== undefined);
  if (maxDrop === undefined) {
    if (companions.length > 0) throw new UsageError(`--${companions[0] === 'cache' && flags['cache'] === false ? 'no-cache' : companions[0]} needs --max-drop <pp>`);
    if (get.string(flags, 'method') === 'auto') throw new UsageError('--method auto picks the best method under an accuracy budget: give --max-drop <pp> too');
    return {};
  }
  if (maxDrop < 0) throw new UsageError(`--max-drop is the largest top-1 drop allowed, in percentage points: 0 or more, not ${maxDrop}`);
  if (maxDrop > 100) throw new UsageError(`--max-drop is in percentage points of top-1 (0..100), not ${maxDrop}`);
  for (const fixed of ['sparsity', 'target-sparsity']) {
    if (flags[fixed] !== undefined) throw new UsageError(`--${fixed} fixes the sparsity, --max-drop searches it: give one of them`);
  }
  const heldOut = get.number(flags, 'held-out');
  if (heldOut !== undefined && !(heldOut > 0 && heldOut < 1)) throw new UsageError(`--held-out is the share of --data kept for the reported figure, between 0 and 1 (exclusive), not ${heldOut}`);
  return defined({ maxDrop, objective: oneOf(get.string(flags, 'objective'), OBJECTIVES, 'objective'), heldOut, ladder: numberList(flags, 'ladder'), cache: get.boolean(flags, 'cache') });
}

function pruneMethod(flags: FlagValues, budgeted: boolean): PruneMethod | 'auto' {
  const method = oneOf(get.string(flags, 'method'), [...PRUNE_METHODS, 'auto'] as const, 'method');
  if (method === 'sfp-filters' && budgeted) throw new UsageError('--method sfp-filters removes whole filters: the budget searches per-layer sparsities of mask methods (magnitude, afcc, …, or auto)');
  return method ?? (budgeted ? BUDGET_DEFAULT_METHOD : 'afcc');
}

const prune: CommandSpec<'prune'> = {
  name: 'prune',
  method: 'prune',
  usage: 'quench prune <model> --data <path> [--method afcc | --max-drop <pp>] [options]',
  summary: 'Prune the model (AFCC by default, a baseline, or as much as an accuracy budget allows), evaluate before/after and write it beside the input.',
  flags: [
    data, limit,
    { name: 'method', kind: 'string', value: '<m>', help: `Pruning method: ${PRUNE_METHODS.join(', ')} (default afcc). afcc-balanced: AFCC with every class held by the same share of each layer's filters; afcc-hybrid: magnitude among the connections AFCC cuts` },
    layers, threshold, targetSparsity,
    { name: 'sparsity', kind: 'number', value: '<s>', help: 'Non-AFCC methods and the AFCC variants: per-layer sparsity (0..1)' },
    seed, readoutEpochs,
    { name: 'recalibrate-bn', kind: 'boolean', negatable: true, help: 'Re-estimate BatchNorm statistics after masking' },
    ...finetuneFlags,
    { name: 'structured', kind: 'boolean', help: 'Physically remove dead filters (AFCC: also those with an empty label set) and time inference before/after' },
    { name: 'measure-latency', kind: 'boolean', help: 'Time inference before/after (batch 1 and 64) without --structured' },
    { name: 'out', kind: 'string', value: '<path>', help: 'Output path (default <name>.pruned.<ext> beside the input)' },
    { name: 'format', kind: 'string', value: '<f>', help: `Output format: ${FORMATS.join(', ')} (default: same as input)` },
    { name: 'matrices', kind: 'string', value: '<file>', help: 'Write the SFP per-filter matrices to this file (binary: JSON header, then float32)' },
    ...budgetFlags,
    json,
  ],
  toParams: (model, flags): PruneParams => {
    const budgetParams = budget(flags);
    const budgeted = budgetParams.maxDrop !== undefined;
    return defined({
      model,
      data: requireData(flags),
      limit: get.number(flags, 'limit'),
      method: pruneMethod(flags, budgeted),
      ...budgetParams,
      trainData: trainDataAlone(flags),
      layers: get.list(flags, 'layers'),
      threshold: fraction(flags, 'threshold'),
      targetSparsity: fraction(flags, 'target-sparsity'),
      sparsity: fraction(flags, 'sparsity'),
      seed: get.number(flags, 'seed'),
      readoutEpochs: get.number(flags, 'readout-epochs'),
      recalibrateBn: get.boolean(flags, 'recalibrate-bn'),
      finetune: finetune(flags),
      structured: get.boolean(flags, 'structured'),
      measureLatency: get.boolean(flags, 'measure-latency'),
      out: get.string(flags, 'out'),
      format: oneOf(get.string(flags, 'format'), FORMATS, 'format'),
      matricesPath: get.string(flags, 'matrices'),
    });
  },
};

const compare: CommandSpec<'compare'> = {
  name: 'compare',
  method: 'compare',
  usage: 'quench compare <model> --data <path> [--methods a,b] [options]',
  summary: 'Run AFCC and baselines at matched sparsity on the same layers and compare accuracy.',
  flags: [
    data, limit,
    { name: 'methods', kind: 'list', value: '<a,b>', help: `Methods to compare (default: ${COMPARE_DEFAULT.join(', ')}; also afcc-balanced, afcc-hybrid)` },
    layers, threshold, targetSparsity, seed, readoutEpochs, ...finetuneFlags, json,
  ],
  toParams: (model, flags): CompareParams => {
    const methods = get.list(flags, 'methods')?.map((m) => oneOf(m, PRUNE_METHODS, 'methods')!) ?? COMPARE_DEFAULT;
    return defined({
      model,
      data: requireData(flags),
      limit: get.number(flags, 'limit'),
      methods,
      layers: get.list(flags, 'layers'),
      threshold: fraction(flags, 'threshold'),
      targetSparsity: fraction(flags, 'target-sparsity'),
      seed: get.number(flags, 'seed'),
      readoutEpochs: get.number(flags, 'readout-epochs'),
      trainData: trainDataAlone(flags),
      finetune: finetune(flags),
    });
  },
};

const SWEEP_DEFAULT: PruneMethod[] = ['afcc', 'magnitude', 'random-afcc'];

const sweep: CommandSpec<'sweep'> = {
  name: 'sweep',
  method: 'sweep',
  usage: 'quench sweep <model> --data <path> [--methods a,b] [--sparsities s,s] [options]',
  summary: 'Accuracy against sparsity per method (AFCC, magnitude, random-AFCC by default), BatchNorm re-estimated, optionally fine-tuned.',
  flags: [
    data, limit,
    { name: 'methods', kind: 'list', value: '<a,b>', help: `Methods (default ${SWEEP_DEFAULT.join(', ')}; any of ${PRUNE_METHODS.filter((m) => m !== 'sfp-filters').join(', ')})` },
    { name: 'sparsities', kind: 'list', value: '<s,s>', help: 'Sparsities of the targeted layers (default 0.3,0.5,0.7,0.8,0.9)' },
    layers,
    { name: 'objective', kind: 'string', value: '<o>', help: `What the "removed" column counts: ${OBJECTIVES.join(', ')} (default params)` },
    { name: 'max-drop', kind: 'number', value: '<pp>', help: 'Mark the points within this top-1 drop (percentage points)' },
    seed, readoutEpochs,
    { name: 'recalibrate-bn', kind: 'boolean', negatable: true, help: 'Re-estimate BatchNorm statistics at every point (default on, with training data)' },
    ...finetuneFlags, json,
  ],
  toParams: (model, flags): SweepParams => {
    const methods = get.list(flags, 'methods')?.map((m) => oneOf(m, PRUNE_METHODS, 'methods')!) ?? SWEEP_DEFAULT;
    if (methods.includes('sfp-filters')) throw new UsageError('--methods: sfp-filters removes whole filters and has no sparsity to sweep');
    const maxDrop = get.number(flags, 'max-drop');
    if (maxDrop !== undefined && maxDrop < 0) throw new UsageError(`--max-drop is a top-1 drop in percentage points: 0 or more, not ${maxDrop}`);
    const ft = finetune(flags);
    return defined({
      model,
      data: requireData(flags),
      limit: get.number(flags, 'limit'),
      methods,
      sparsities: numberList(flags, 'sparsities'),
      layers: get.list(flags, 'layers'),
      objective: oneOf(get.string(flags, 'objective'), OBJECTIVES, 'objective'),
      maxDrop,
      seed: get.number(flags, 'seed'),
      readoutEpochs: get.number(flags, 'readout-epochs'),
      recalibrateBn: get.boolean(flags, 'recalibrate-bn'),
      finetune: ft,
      trainData: trainDataAlone(flags),
    });
  },
};


function channelValues(flags: FlagValues, name: string): number[] | undefined {
  return get.list(flags, name)?.map((item) => {
    const n = Number(item);
    if (item.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} takes numbers (one per channel), not "${item}"`);
    return n;
  });
}

const dataset: CommandSpec<'datasetDescriptor'> = {
  name: 'dataset',
  method: 'datasetDescriptor',
  usage: 'quench dataset <data> [--imagenet | --mean a,b,c --std a,b,c] [--json]',
  summary: 'Which dataset.json applies to a dataset and the normalisation it sets; --imagenet or --mean/--std save one there.',
  positional: 'a dataset path',
  flags: [
    { name: 'imagenet', kind: 'boolean', help: `Save ImageNet's mean [${IMAGENET_NORMALISATION.mean.join(', ')}] and std [${IMAGENET_NORMALISATION.std.join(', ')}] (on 0..1 pixels) in the dataset's descriptor` },
    { name: 'mean', kind: 'list', value: '<a,b,c>', help: 'Save this mean (one value per channel, or one for all) in the descriptor; needs --std' },
    { name: 'std', kind: 'list', value: '<a,b,c>', help: 'Save this std (non-zero) in the descriptor; needs --mean' },
    json,
  ],
  toParams: (data, flags) => {
    const mean = channelValues(flags, 'mean');
    const std = channelValues(flags, 'std');
    if (flags['imagenet'] === true && (mean || std)) throw new UsageError('--imagenet sets mean and std: give it alone, or --mean and --std');
    if ((mean === undefined) !== (std === undefined)) throw new UsageError(`--${mean ? 'mean' : 'std'} needs --${mean ? 'std' : 'mean'} too`);
    if (std?.some((v) => v === 0)) throw new UsageError('--std must not contain 0');
    const set = flags['imagenet'] === true ? { mean: [...IMAGENET_NORMALISATION.mean], std: [...IMAGENET_NORMALISATION.std] } : mean && std ? { mean, std } : undefined;
    return set ? { data, set } : { data };
  },
  render: (r) => {
    const values = r.mean || r.std ? `mean [${r.mean?.join(', ') ?? '—'}], std [${r.std?.join(', ') ?? '—'}]` : 'no mean/std: pixels are only scaled';
    return [
      r.descriptor ? `Descriptor: ${r.descriptor}` : `Descriptor: none (a setting would be saved in ${r.target})`,
      `Normalisation: ${values}${r.scale ? `, scale ${r.scale}` : ''}`,
    ].join('\n');
  },
};

export const commands: CommandSpec[] = [inspect, evaluate, analyze, prune, compare, sweep, dataset] as CommandSpec[];
