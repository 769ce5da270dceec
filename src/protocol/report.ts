// The one JSON report every run produces. The CLI's --json, the panel, the run history and the
// Markdown/HTML export all render this document. Types only.

export const SCHEMA_VERSION = 1;

export type ModelFormat = 'tfjs-layers' | 'keras-h5' | 'keras-v3' | 'onnx';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type ReportKind = 'inspect' | 'eval' | 'analyze' | 'prune' | 'compare' | 'sweep';

/**
 * Mask-producing methods. `sfp-filters` is structured (whole filters), the rest are masks.
 * `afcc-balanced` (class-balanced label sets) and `afcc-hybrid` (AFCC's cut as candidates,
 * magnitude inside them) are AFCC variants that reach any per-layer sparsity.
 */
export type PruneMethod =
  | 'afcc'
  | 'afcc-balanced'
  | 'afcc-hybrid'
  | 'magnitude'
  | 'global-magnitude'
  | 'l1-kernel'
  | 'random'
  | 'random-afcc'
  | 'sfp-filters';

/** What a budgeted prune maximises the removal of. */
export type BudgetObjective = 'params' | 'macs' | 'size';

export interface ToolInfo {
  name: 'quench';
  version: string;
}

export interface ModelInfo {
  path: string;
  name: string;
  format: ModelFormat;
  sha256: string;
  /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
  inputShape: number[];
  /** Number of output classes of the classifier head. */
  classes: number;
  /** Names of the output classes by index, when the model or its dataset names them. */
  classNames?: string[];
}

export type DatasetKind = 'idx' | 'npz' | 'npy' | 'cifar' | 'image-folder';

export interface PreprocessingInfo {
  scale: '0..1' | '-1..1' | 'none';
  mean?: number[];
  std?: number[];
  /** Where the choice came from. */
  source: 'inferred' | 'descriptor' | 'option';
}

export interface DatasetInfo {
  path: string;
  kind: DatasetKind;
  samples: number;
  classes: number;
  sha256: string;
  /** 'test' for an evaluation set; 'train' / 'holdout' when split off for training or SFP. */
  split: string;
  preprocessing: PreprocessingInfo;
  labelNames?: string[];
  note?: string;
}

/** Counts for one layer at one moment (before or after pruning). */
export interface LayerCounts {
  params: number;
  zeros: number;
  sparsity: number;
  /** Conv filters or dense units; null for layers without them. */
  filters: number | null;
  macs: number;
}

export interface LayerStats extends LayerCounts {
  name: string;
  className: string;
  /** Names of the nested models holding the layer, outermost first; absent or [] at the top level. */
  path?: string[];
  outputShape: (number | null)[];
  trainableParams: number;
  /** False for layers Quench cannot analyse or prune (listed, never a crash). */
  analysable: boolean;
  note?: string;
}

export interface ModelTotals {
  params: number;
  zeros: number;
  sparsity: number;
  macs: number;
  /** Size of the model's files on disk, raw and gzipped. */
  bytes: number;
  gzipBytes: number;
}

export interface AccuracyResult {
  top1: number;
  top5: number;
  perClass: number[];
  loss: number;
  samples: number;
}

export interface Timing {
  stage: string;
  seconds: number;
}

export interface ReportBase {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: ReportKind;
  tool: ToolInfo;
  createdAt: string;
  backend: BackendName;
  /**
   * What measured the accuracies when not the TensorFlow.js backend: "onnxruntime-node 1.31.1" for
   * an ONNX model where the optional ONNX Runtime is installed.
   */
  evaluatedBy?: string;
  model: ModelInfo;
  timings: Timing[];
  /** Anything the user should know (a split was made, a layer was skipped, ...). */
  notes: string[];
}

export interface InspectReport extends ReportBase {
  kind: 'inspect';
  layers: LayerStats[];
  totals: ModelTotals;
}

export interface EvalReport extends ReportBase {
  kind: 'eval';
  dataset: DatasetInfo;
  layers: LayerStats[];
  totals: ModelTotals;
  accuracy: AccuracyResult;
  /** confusion[true][predicted] */
  confusion: number[][];
}

// ---- SFP (METHOD.md §3-§6) ----

export interface SfpFilter {
  index: number;
  /** L(f): the union of the filter's clusters, ascending. */
  labels: number[];
  clusters: number[][];
  /** Above-threshold entries outside the cluster squares; -1 for a filter with no cluster. */
  noise: number;
}

export interface SfpLayer {
  name: string;
  className: string;
  /** Top-1 of the bias-free readout on this layer's features (the accuracy-vs-depth curve). */
  readoutAccuracy: number;
  /** 'own-output' when the model's own output layer served as the readout. */
  readout: 'trained' | 'own-output';
  /** Spatial average-pooling applied before the readout (METHOD.md §3 deviation), if any. */
  pooledTo?: [number, number];
  filters: SfpFilter[];
  meanLabels: number;
  /** Mean noise over filters with a cluster, and over all filters (empty ones counted as 0). */
  meanNoise: number;
  meanNoiseAll: number;
  clustersPerFilter: number;
  meanClusterSize: number;
  /** clusterSizeHistogram[k] = number of clusters of size k (index 0 unused). */
  clusterSizeHistogram: number[];
  /** null stands for infinity (mean noise 0). */
  snrA: number | null;
  snrB: number | null;
  /** Share of filters with no cluster, 0..1. */
  emptyFilters: number;
}

export interface SfpSection {
  threshold: number;
  /** Which data the matrices came from ('test', 'holdout', ...). */
  dataSplit: string;
  samples: number;
  classes: number;
  layers: SfpLayer[];
  /** Side file with the per-filter C×C matrices (see SfpMatricesFile). */
  matricesPath?: string;
}

/**
 * The side file written by --matrices is binary: the 8 ASCII bytes SFP_MATRICES_MAGIC, a uint32
 * little-endian byte length, that many bytes of UTF-8 JSON (this header), then per layer its
 * normalised matrices as little-endian Float32 [filters, C, C] row-major at `offset`.
 */
export const SFP_MATRICES_MAGIC = 'QSFPMAT1';

export interface SfpMatricesFile {
  schemaVersion: typeof SCHEMA_VERSION;
  classes: number;
  /** offset: bytes from the start of the file (a multiple of 4); length: float32 values (filters·C·C). */
  layers: { name: string; filters: number; offset: number; length: number }[];
}

export interface AnalyzeReport extends ReportBase {
  kind: 'analyze';
  dataset: DatasetInfo;
  sfp: SfpSection;
}

// ---- Pruning ----

export interface PrunedLayer {
  name: string;
  className: string;
  /** Names of the nested models holding the layer, outermost first; absent or [] at the top level. */
  path?: string[];
  /** The layer whose kernel was masked and the producer layer of its inputs (for AFCC). */
  targeted: boolean;
  before: LayerCounts;
  after: LayerCounts;
  /** Cluster threshold used for this layer (AFCC), when relevant. */
  threshold?: number;
  /** Whether AFCC and the baselines can mask this layer's kernel; when not, why (the engine's layer registry). */
  prunable?: boolean;
  whyNot?: string;
  /** For a targeted layer: what the engine decided, so the panel draws it instead of recomputing it. */
  decision?: TargetDecision;
}

/** One targeted kernel seen as in-channel → out-channel slices (over all kernel positions). */
export interface TargetDecision {
  /** Units (named by the layer that starts each) whose label sets judge the in-channels; [] when none do. */
  inputUnits: string[];
  /** Units judging the out-channels, or 'classes' at the classifier. */
  outputUnits: string[] | 'classes';
  inputs: number;
  outputs: number;
  /** Slices with at least one kept weight. */
  slicesKept: number;
  /** keep[f·outputs + o], 8 slices per byte (least significant bit first), base64. */
  slices: string;
}

export interface OutputInfo {
  path: string;
  format: ModelFormat;
  bytes: number;
  gzipBytes: number;
  /** The written file was reloaded and its predictions matched the in-memory model. */
  verified: boolean;
  maxAbsDiff: number;
  /** True when dead filters were physically removed (--structured). */
  structured: boolean;
}

export interface FinetuneInfo {
  epochs: number;
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  batchSize: number;
  trainLayers: string[];
  trainData: DatasetInfo;
  samplesPerSecond: number;
  history: { epoch: number; loss: number; heldOutAccuracy: number | null }[];
  stoppedEarly: boolean;
}

export interface LatencyInfo {
  batch: number;
  /**
   * What ran the calls when not the report's TensorFlow.js backend: "onnxruntime-node 1.31.1" for
   * an ONNX model written as ONNX where ONNX Runtime is installed (the input file against the
   * written one).
   */
  runtime?: string;
  /** Median milliseconds per predict call (after warm-up), on the report's backend or `runtime`. */
  beforeMs: number;
  afterMs: number;
  /** Timed calls per model (interleaved before/after, so machine load hits both alike). */
  runs?: number;
  /** Fastest call of each: on a busy machine, the closer estimate of the work itself. */
  beforeMinMs?: number;
  afterMinMs?: number;
}

/** One layer that lost filters in structured removal (--structured). */
export interface StructuredLayer {
  name: string;
  filtersBefore: number;
  filtersAfter: number;
  /** Dense parameter and MAC counts of the layer in the input and in the written model. */
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
}

export interface StructuredInfo {
  /** Layers whose filter count or input width changed. */
  layers: StructuredLayer[];
  params: { before: number; after: number };
  macs: { before: number; after: number };
  bytes: { before: number; after: number };
}

export interface PruneReport extends ReportBase {
  kind: 'prune';
  method: PruneMethod;
  seed: number;
  options: Record<string, unknown>;
  dataset: DatasetInfo;
  layers: PrunedLayer[];
  totals: { before: ModelTotals; after: ModelTotals };
  /** Sparsity over the targeted layers' kernels only. */
  targetedSparsity: number;
  accuracy: {
    before: AccuracyResult;
    /** Right after masking, before BatchNorm re-estimation and fine-tuning. */
    afterMask?: AccuracyResult;
    afterBnRecalibration?: AccuracyResult;
    after: AccuracyResult;
  };
  sfp?: SfpSection;
  finetune?: FinetuneInfo;
  latency?: LatencyInfo[];
  /** Present when filters were physically removed (--structured). */
  structured?: StructuredInfo;
  /** Present for a prune within an accuracy budget (--max-drop). */
  budget?: BudgetSection;
  output: OutputInfo | null;
}

// ---- Accuracy budget (--max-drop) ----

/** How the evaluation data was divided: the search sees only `calibration`, the reported figure is `heldOut`. */
export interface DataSplit {
  calibration: number;
  heldOut: number;
  /** Seed of the stratified split (same data and seed → same split). */
  seed: number;
  /** 'stratified': each class divided in the same proportion. */
  kind: 'stratified';
}

/** Top-1 on calibration data of one layer pruned alone at a ladder of sparsities, the rest untouched. */
export interface SensitivityCurve {
  layer: string;
  method: PruneMethod;
  /** Top-1 of the unpruned model on the same calibration data, 0..1. */
  baseline: number;
  points: { sparsity: number; top1: number }[];
  /** What pruning this layer removes of the objective at sparsity 1 (parameters, MACs or bytes). */
  weight: number;
}

export interface SensitivitySection {
  objective: BudgetObjective;
  /** The ladder every layer was measured at. */
  ladder: number[];
  curves: SensitivityCurve[];
  /** Whether BatchNorm was re-estimated before each measurement. */
  bnRecalibrated: boolean;
  /** Cache of the scan, keyed by model, data, split, method and ladder hashes. */
  cache: { key: string; hit: boolean; path?: string };
}

/** One applied allocation, verified. */
export interface BudgetAttempt {
  method: PruneMethod;
  /** Global scale of the allocation (1 = as allocated; the back-off lowers it). */
  scale: number;
  layerSparsity: Record<string, number>;
  /** Share of the objective removed over the whole model, 0..1. */
  removed: number;
  predictedDrop: number;
  /** Calibration and held-out top-1 after re-estimation and fine-tuning, 0..1. */
  calibrationTop1: number;
  heldOutTop1: number;
  /** Held-out drop in percentage points (before − after) × 100. */
  verifiedDrop: number;
  withinBudget: boolean;
}

export interface BudgetSection {
  /** The budget in percentage points of top-1. */
  maxDrop: number;
  objective: BudgetObjective;
  /** 'auto' when several methods ran under the budget. */
  requestedMethod: PruneMethod | 'auto';
  split: DataSplit;
  /** How the per-layer sparsities were chosen, in a sentence (e.g. greedy marginal-gain over the curves). */
  allocator: string;
  sensitivity: SensitivitySection;
  attempts: BudgetAttempt[];
  /** The attempt that was written; null when nothing met the budget (no model is written then). */
  chosen: BudgetAttempt | null;
  /** Held-out top-1 of the input model, the reference of every verifiedDrop. */
  heldOutBefore: AccuracyResult;
  heldOutAfter: AccuracyResult | null;
  /** method auto: the best verified attempt per method, and which won by how much. */
  methods?: { method: PruneMethod; best: BudgetAttempt | null }[];
}

// ---- Sweep (accuracy against sparsity per method) ----

export interface SweepPoint {
  /** Requested sparsity of the targeted layers (AFCC: reached through the threshold search). */
  sparsity: number;
  targetedSparsity: number;
  totalSparsity: number;
  /** Share of the objective removed over the whole model. */
  removed: number;
  top1: number;
  top1BnRecalibrated?: number;
  top1Finetuned?: number;
}

export interface SweepCurve {
  method: PruneMethod;
  points: SweepPoint[];
}

export interface SweepReport extends ReportBase {
  kind: 'sweep';
  dataset: DatasetInfo;
  seed: number;
  objective: BudgetObjective;
  baseline: AccuracyResult;
  curves: SweepCurve[];
  /** The budget line to draw (pp), when one was given. */
  maxDrop?: number;
}

export interface CompareRow {
  method: PruneMethod;
  /** Per targeted layer, the sparsity actually reached (matched to the reference). */
  layerSparsity: Record<string, number>;
  targetedSparsity: number;
  totalSparsity: number;
  accuracy: AccuracyResult;
  /** With BatchNorm re-estimated, when the model has BatchNorm. */
  accuracyBnRecalibrated?: AccuracyResult;
  accuracyFinetuned?: AccuracyResult;
}

export interface CompareReport extends ReportBase {
  kind: 'compare';
  reference: PruneMethod;
  seed: number;
  dataset: DatasetInfo;
  baseline: AccuracyResult;
  rows: CompareRow[];
  sfp?: SfpSection;
}

export type Report = InspectReport | EvalReport | AnalyzeReport | PruneReport | CompareReport | SweepReport;
