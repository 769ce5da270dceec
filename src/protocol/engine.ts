// The channel between the extension host (or any client) and the engine process.
// Requests are a method -> params / result map; messages are unions per direction. Types only.

import type {
  AnalyzeReport,
  BackendName,
  CompareReport,
  EvalReport,
  InspectReport,
  ModelFormat,
  PreprocessingInfo,
  PruneMethod,
  PruneReport,
  BudgetObjective,
  SweepReport,
} from './report';

/** Options shared by every job that reads data. */
export interface DataOptions {
  /** Evaluation data: IDX pair (either file or folder), .npz/.npy, CIFAR batch, image folder. */
  data: string;
  /** Use only the first N samples. */
  limit?: number;
}

export interface InspectParams {
  model: string;
}

/** Cheap check used by discovery: is this file a model Quench can open? Reads headers only. */
export interface ProbeParams {
  paths: string[];
}
export interface ProbeEntry {
  path: string;
  format: ModelFormat | null;
  /** Why a look-alike was rejected (e.g. "model.json has no modelTopology"). */
  reason?: string;
  params?: number;
  bytes?: number;
}
export interface ProbeResult {
  entries: ProbeEntry[];
}

export interface EvalParams extends DataOptions {
  model: string;
}

export interface AnalyzeParams extends DataOptions {
  model: string;
  /** Layer names to analyse; default: every conv/dense block on the classifier path. */
  layers?: string[];
  readoutEpochs?: number;
  threshold?: number;
  /** Write the per-filter matrices here (see SfpMatricesFile). */
  matricesPath?: string;
  seed?: number;
  /** Readout training data; default: the training split beside `data` when found, else a split of `data`. */
  trainData?: string;
}

export interface FinetuneOptions {
  epochs: number;
  trainData?: string;
  trainLayers?: string[];
  optimizer?: 'sgd' | 'adam';
  learningRate?: number;
  batchSize?: number;
  augment?: boolean;
  /** Fine-tune on only the first N training samples (a shorter run on a slow machine). */
  trainLimit?: number;
}

export interface PruneParams extends DataOptions {
  model: string;
  /** 'auto' (only with maxDrop): every AFCC-like method and magnitude under the budget, the best verified kept. */
  method: PruneMethod | 'auto';
  /** Accuracy budget: prune as much of `objective` as keeps held-out top-1 within this many percentage points. */
  maxDrop?: number;
  objective?: BudgetObjective;
  /** Share of the evaluation data held out from the budget search for the reported figure (default 0.5). */
  heldOut?: number;
  /** Sensitivity ladder (per-layer sparsities scanned); default 0.3, 0.5, 0.7, 0.8, 0.9, 0.95. */
  ladder?: number[];
  /** Read and write the sensitivity scan's cache (`.quench/cache/sensitivity/` beside the model); default true. */
  cache?: boolean;
  /** Layers whose kernels are pruned; default for AFCC: the deepest blocks and the output layer; with maxDrop: every prunable kernel. */
  layers?: string[];
  /** AFCC cluster threshold (METHOD.md §4), default 0.3. */
  threshold?: number;
  /** AFCC: search the threshold so the targeted layers reach at least this sparsity. */
  targetSparsity?: number;
  /** Non-AFCC methods used alone: per-layer sparsity. */
  sparsity?: number;
  seed?: number;
  readoutEpochs?: number;
  /** Training data for readouts, BatchNorm re-estimation and fine-tuning (finetune.trainData wins). */
  trainData?: string;
  /** random-afcc: re-draw the output layer's kept weights (METHOD.md §9.1 step 4); default off. */
  reinitOutput?: boolean;
  recalibrateBn?: boolean;
  finetune?: FinetuneOptions;
  /** Physically remove dead filters (and, for AFCC, filters with an empty label set) on export. */
  structured?: boolean;
  /** Time inference before/after (batch 1 and 64); always done with `structured`. */
  measureLatency?: boolean;
  /** Output path; default `<name>.pruned.<ext>` beside the input. Never the input itself. */
  out?: string;
  /** Convert on export. */
  format?: ModelFormat;
  /** Skip writing a model (analysis-only runs in compare). */
  dryRun?: boolean;
  matricesPath?: string;
}

export interface CompareParams extends DataOptions {
  model: string;
  methods: PruneMethod[];
  layers?: string[];
  threshold?: number;
  targetSparsity?: number;
  seed?: number;
  readoutEpochs?: number;
  trainData?: string;
  /** Re-estimate BatchNorm statistics after masking for every method (default true). */
  recalibrateBn?: boolean;
  finetune?: FinetuneOptions;
}

export interface SweepParams extends DataOptions {
  model: string;
  methods: PruneMethod[];
  /** Sparsities of the targeted layers; default 0.3, 0.5, 0.7, 0.8, 0.9. */
  sparsities?: number[];
  layers?: string[];
  objective?: BudgetObjective;
  seed?: number;
  readoutEpochs?: number;
  trainData?: string;
  recalibrateBn?: boolean;
  finetune?: FinetuneOptions;
  /** Budget line to draw in the chart (pp). */
  maxDrop?: number;
}

/**
 * The dataset descriptor (`*.dataset.json`) that applies to a dataset, and setting the input
 * normalisation in it. Without `set` nothing is written.
 */
/** torchvision's ImageNet normalisation on 0..1 pixels: what the dataset step offers a 3-channel ONNX model. */
export const IMAGENET_NORMALISATION: { readonly mean: readonly number[]; readonly std: readonly number[] } = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface DatasetDescriptorParams {
  data: string;
  /** Merge these into `target` (its other keys kept, in their order), creating it when absent. */
  set?: { mean: number[]; std: number[] };
}
export interface DatasetDescriptorResult {
  /** The descriptor that applies to the data (absolute path), when there is one. */
  descriptor?: string;
  scale?: PreprocessingInfo['scale'];
  mean?: number[];
  std?: number[];
  /**
   * The file a setting goes to: the descriptor in use, else a new `dataset.json` inside a folder
   * dataset or beside a file dataset (where its training split reads it too).
   */
  target: string;
}

export interface EngineInfo {
  version: string;
  backend: BackendName;
  pid: number;
  memoryMB: number;
  /**
   * The optional onnxruntime-node that measures ONNX models' accuracy (faster than TensorFlow.js):
   * its version where it loads, else why not (not installed, turned off by QUENCH_ONNXRUNTIME=off,
   * or the load error).
   */
  onnxRuntime?: { available: true; version: string; from: string } | { available: false; reason: string };
}

export interface EngineRequests {
  info: { params: Record<string, never>; result: EngineInfo };
  probe: { params: ProbeParams; result: ProbeResult };
  inspect: { params: InspectParams; result: InspectReport };
  datasetDescriptor: { params: DatasetDescriptorParams; result: DatasetDescriptorResult };
  evaluate: { params: EvalParams; result: EvalReport };
  analyze: { params: AnalyzeParams; result: AnalyzeReport };
  prune: { params: PruneParams; result: PruneReport };
  compare: { params: CompareParams; result: CompareReport };
  sweep: { params: SweepParams; result: SweepReport };
}
export type EngineMethod = keyof EngineRequests;

/** A throttled progress event for one job. */
export interface JobProgress {
  stage: string;
  message?: string;
  layer?: string;
  epoch?: number;
  epochs?: number;
  step?: number;
  steps?: number;
  loss?: number;
  accuracy?: number;
  /** 0..1 of the whole job, when known. */
  fraction?: number;
  etaSeconds?: number;
}

/** Stable error codes so clients can react (e.g. offer "pick another dataset"). */
export type EngineErrorCode =
  | 'bad-model'
  | 'bad-data'
  | 'unsupported'
  | 'mismatch'
  | 'io'
  | 'too-large'
  | 'cancelled'
  | 'backend'
  | 'internal';

export interface EngineError {
  code: EngineErrorCode;
  message: string;
  /** The file the problem is in, when there is one. */
  file?: string;
}

// ---- host -> engine ----
export type HostToEngine =
  | { type: 'request'; id: number; method: EngineMethod; params: unknown }
  | { type: 'cancel'; id: number }
  | { type: 'shutdown' };

// ---- engine -> host ----
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type EngineToHost =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: EngineError }
  | { type: 'cancelled'; id: number }
  | { type: 'progress'; id: number; progress: JobProgress }
  | { type: 'log'; level: LogLevel; time: string; message: string };
