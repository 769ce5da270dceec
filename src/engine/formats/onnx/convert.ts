// An ONNX graph (NCHW, PyTorch's layouts) → a tfjs-layers functional topology (NHWC) + weights,
// and the record the writer needs to put every weight back where it came from (origins). Each op
// the issue lists maps onto tfjs layers the engine's graph knows; anything else is refused by op
// type and node name. Layouts: conv kernels [out, in, kh, kw] → [kh, kw, in, out]; a flatten of
// a (C, H, W) map is (c, h, w)-ordered in the file and (h, w, c) in tfjs, so the rows of the
// Dense that reads it are permuted (METHOD.md §7.1, the PyTorch case).
import { EngineFailure } from '../../core/errors';
import type { StoredWeight } from '../build';
import { AttrType, DataType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './proto';
import { elementCount, floatValues, intValues, type ExternalData } from './tensor';

type Json = Record<string, unknown>;

/** (c, h, w) of the map a flat vector was flattened from, when its order differs between the layouts. */
export interface FlattenOrder {
  c: number;
  h: number;
  w: number;
}

/**
 * One weight input of a node: the node (index in the graph), which input, the name it reads, and
 * the initializer that name resolves to (through Identity nodes, which exporters use to share one
 * initializer between layers with equal values).
 */
export interface WeightSlot {
  node: number;
  input: number;
  name: string;
  initializer: string;
}

/** Where a tfjs layer's weights live in the ONNX file. */
export type LayerOrigin =
  | { kind: 'conv'; node: number; weight: WeightSlot; bias?: WeightSlot; depthwise: boolean }
  | { kind: 'dense'; node: number; weight: WeightSlot; transB: boolean; bias?: WeightSlot; biasDims?: number[]; order?: FlattenOrder; matmul: boolean }
  | { kind: 'bn'; node: number; params: [WeightSlot, WeightSlot, WeightSlot, WeightSlot] };

/** How an ONNX tensor is held in tfjs (for rewriting value_info shapes after structured removal). */
export interface TensorPlace {
  layer: string;
  layout: Layout;
  /** The logical shape without batch at load. */
  shape: number[];
}

/** A Reshape that flattens with an explicit element count in its shape constant. */
export interface FlattenShapeConstant {
  /** The initializer or Constant node output holding the target shape. */
  tensor: string;
  /** The tfjs layer whose output the Reshape produces (its size after structured removal). */
  layer: string;
  values: number[];
}

export interface ConvertedGraph {
  topology: Json;
  weights: Map<string, StoredWeight[]>;
  origins: Map<string, LayerOrigin>;
  tensors: Map<string, TensorPlace>;
  flattenConstants: FlattenShapeConstant[];
  /** The model input's shape without batch, in the file's layout: [C, H, W] or [F]. */
  inputShape: number[];
  inputName: string;
  outputName: string;
  notes: string[];
}

/** chw: an NCHW map held NHWC; flat: a vector; c11: [C, 1, 1] (global pooling kept dims) held as [C]. */
type Layout = 'chw' | 'flat' | 'c11';

interface Val {
  kind: 'val';
  layer: string;
  shape: number[];
  layout: Layout;
  order?: FlattenOrder;
  nonNegative?: boolean;
}

interface Const {
  kind: 'const';
  dims: number[];
  /** Loaded on demand (weights are read once, by the layer that takes them). */
  tensor?: OnnxTensor;
  values?: number[];
  /** The initializer or Constant output name. */
  name: string;
}

/** Integers computed from shapes (Shape / Gather / Unsqueeze / Concat), 'N' standing for the batch. */
interface Ints {
  kind: 'ints';
  values: (number | 'N')[];
  scalar: boolean;
}

type Value = Val | Const | Ints;

const KNOWN_DOMAINS = new Set(['', 'ai.onnx']);
const ZEROS = { class_name: 'Zeros', config: {} };
const ONES = { class_name: 'Ones', config: {} };
const TFJS_NAME = /[^-A-Za-z0-9._]/g;

function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attributes.get(name);
}

function attrInt(node: OnnxNode, name: string, fallback: number): number {
  return attr(node, name)?.i ?? fallback;
}

function attrFloat(node: OnnxNode, name: string, fallback: number): number {
  return attr(node, name)?.f ?? fallback;
}

function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a && (a.type === AttrType.INTS || a.ints.length) ? a.ints : undefined;
}

function label(node: OnnxNode): string {
  return `node "${node.name || node.outputs[0] || '(unnamed)'}" (${node.opType})`;
}

/** The PyTorch module path of a TorchScript-exported node name: "/layer1/layer1.0/conv1/Conv" → "layer1.0.conv1". */
function modulePath(nodeName: string): string | null {
  if (!nodeName.startsWith('/')) return null;
  const segments = nodeName.slice(1).split('/');
  segments.pop();
  // Each scope is a module's attribute name, written "<parent attribute>.<index>" inside a Sequential.
  const parts: string[] = [];
  for (const s of segments) {
    const last = parts[parts.length - 1];
    if (last !== undefined && s.startsWith(`${last}.`)) parts[parts.length - 1] = s;
    else parts.push(s);
  }
  return parts.join('.') || null;
}

export class OnnxConverter {
  private readonly values = new Map<string, Value>();
  private readonly layers: Json[] = [];
  private readonly layerNames = new Set<string>();
  private readonly weights = new Map<string, StoredWeight[]>();
  private readonly origins = new Map<string, LayerOrigin>();
  private readonly tensors = new Map<string, TensorPlace>();
  private readonly flattenConstants: FlattenShapeConstant[] = [];
  private readonly chwOf = new Map<string, string>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly producer = new Map<string, OnnxNode>();
  /** Nodes folded into another (a Sigmoid into SiLU, an Add into the MatMul it biases). */
  private readonly fused = new Set<OnnxNode>();
  private readonly initializers = new Map<string, OnnxTensor>();
  private readonly nodeIndex: Map<OnnxNode, number>;
  private readonly notes: string[] = [];

  constructor(
    private readonly model: OnnxModel,
    private readonly file: string,
    private readonly external: ExternalData,
  ) {
    this.nodeIndex = new Map(model.graph.nodes.map((n, i) => [n, i]));
  }

  private fail(message: string, code: 'unsupported' | 'bad-model' = 'unsupported'): never {
    throw new EngineFailure(code, message, this.file);
  }

  private refuse(node: OnnxNode, why: string): never {
    this.fail(`${label(node)} is not supported: ${why}`);
  }

  async convert(): Promise<ConvertedGraph> {
    const { graph } = this.model;
    this.checkOpset();
    if (graph.sparseInitializers) this.fail('has sparse initializers, which Quench does not read');
    for (const init of graph.initializers) {
      if (this.initializers.has(init.name)) this.fail(`has two initializers named "${init.name}"`, 'bad-model');
      this.initializers.set(init.name, init);
      this.values.set(init.name, { kind: 'const', dims: init.dims, tensor: init, name: init.name });
    }
    // The graph's structure first: a cycle or a dangling input is the file's damage, whatever its inputs.
    const order = this.topologicalOrder();
    // Inputs no node reads (exporters keep unused arguments) are left alone; the writer keeps them.
    const read = new Set(graph.nodes.flatMap((n) => n.inputs));
    const declared = graph.inputs.filter((i) => !this.initializers.has(i.name));
    const dataInputs = declared.filter((i) => read.has(i.name));
    const unused = declared.filter((i) => !read.has(i.name));
    if (unused.length && dataInputs.length) this.notes.push(`Graph inputs no node reads were left as they are: ${unused.map((i) => i.name).join(', ')}.`);
    if (dataInputs.length !== 1) this.fail(`has ${dataInputs.length} data inputs (${dataInputs.map((i) => i.name).join(', ') || 'none'}); Quench reads models with one image or vector input`);
    if (graph.outputs.length !== 1) this.fail(`has ${graph.outputs.length} outputs; Quench reads classifiers with one output`);
    const input = dataInputs[0]!;
    const inputShape = this.addInput(input.name, input.shape);
    this.findFusions(order);
    for (const node of order) {
      if (this.fused.has(node)) continue;
      if (!KNOWN_DOMAINS.has(node.domain)) this.fail(`${label(node)} is in the operator domain "${node.domain}", which Quench does not read`);
      await this.convertNode(node);
    }
    const outputName = graph.outputs[0]!.name;
    const out = this.values.get(outputName);
    if (!out || out.kind !== 'val') this.fail(`its output "${outputName}" is not computed from the input`, 'bad-model');
    if (out.layout === 'chw') this.fail(`its output "${outputName}" is a feature map [${out.shape.join(', ')}]; Quench reads classifiers (a vector of class scores)`);
    if (out.order) this.fail(`its output "${outputName}" is a flattened feature map; Quench reads classifiers`);
    const topology = {
      class_name: 'Model',
      config: { name: 'onnx_model', layers: this.layers, input_layers: [[this.inputNames.get(input.name), 0, 0]], output_layers: [[out.layer, 0, 0]] },
      keras_version: 'tfjs-layers',
      backend: 'tensor_flow.js',
    };
    return {
      topology,
      weights: this.weights,
      origins: this.origins,
      tensors: this.tensors,
      flattenConstants: this.flattenConstants,
      inputShape,
      inputName: input.name,
      outputName,
      notes: this.notes,
    };
  }

  private checkOpset(): void {
    const main = this.model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx');
    if (!main) this.fail('imports no default ONNX operator set', 'bad-model');
    if (main.version < 7 || main.version > 22) this.fail(`uses ONNX opset ${main.version}; Quench reads opsets 7 to 22`);
  }

  private readonly inputNames = new Map<string, string>();

  /** The tfjs name of a layer: unique, tfjs-valid, from `base`. */
  private layerName(kind: string, base: string): string {
    let name = base.replace(TFJS_NAME, '_').replace(/^[^A-Za-z0-9]+/, '');
    if (!name) name = kind;
    let unique = name;
    for (let i = 1; this.layerNames.has(unique); i++) unique = `${name}_${i}`;
    this.layerNames.add(unique);
    return unique;
  }

  private addInput(name: string, shape: (number | string | null)[] | undefined): number[] {
    if (!shape) this.fail(`its input "${name}" has no shape; Quench needs [N, C, H, W] or [N, F]`);
    const dims = shape.slice(1);
    if (!(shape.length === 4 || shape.length === 2) || dims.some((d) => typeof d !== 'number' || d < 1)) {
      this.fail(`its input "${name}" has shape [${shape.map((d) => d ?? '?').join(', ')}]; Quench needs [N, C, H, W] or [N, F] with fixed C, H, W`);
    }
    const fixed = dims as number[];
    const layerName = this.layerName('input', name);
    this.inputNames.set(name, layerName);
    const held = fixed.length === 3 ? [fixed[1]!, fixed[2]!, fixed[0]!] : fixed;
    this.layers.push({ name: layerName, class_name: 'InputLayer', config: { batch_input_shape: [null, ...held], dtype: 'float32', sparse: false, name: layerName }, inbound_nodes: [] });
    this.setVal(name, { kind: 'val', layer: layerName, shape: fixed, layout: fixed.length === 3 ? 'chw' : 'flat' });
    return fixed;
  }

  private setVal(name: string, value: Value): void {
    this.values.set(name, value);
    if (value.kind === 'val' && name) this.tensors.set(name, { layer: value.layer, layout: value.layout, shape: value.shape });
  }

  /** Kahn's order over the nodes; a cycle or a dangling input is refused by node name. */
  private topologicalOrder(): OnnxNode[] {
    const nodes = this.model.graph.nodes;
    const available = new Set<string>(['', ...this.initializers.keys(), ...this.model.graph.inputs.map((i) => i.name)]);
    for (const node of nodes) {
      for (const output of node.outputs) {
        if (!output) continue;
        if (this.producer.has(output) || available.has(output)) this.fail(`tensor "${output}" is produced twice (by ${label(node)})`, 'bad-model');
        this.producer.set(output, node);
      }
      for (const input of node.inputs) {
        if (!input) continue;
        if (!available.has(input) && !nodes.some((n) => n.outputs.includes(input))) {
          this.fail(`${label(node)} reads "${input}", which no node, initializer or input provides (a dangling input)`, 'bad-model');
        }
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
    }
    const ordered: OnnxNode[] = [];
    const done = new Set(available);
    const pending = new Set(nodes);
    let progress = true;
    while (pending.size && progress) {
      progress = false;
      for (const node of pending) {
        if (node.inputs.every((i) => done.has(i))) {
          ordered.push(node);
          node.outputs.forEach((o) => done.add(o));
          pending.delete(node);
          progress = true;
        }
      }
    }
    if (pending.size) {
      const first = [...pending][0]!;
      this.fail(`the graph has a cycle (through ${label(first)})`, 'bad-model');
    }
    const output = this.model.graph.outputs[0]?.name;
    if (output && !done.has(output)) this.fail(`its output "${output}" is not computed by any node`, 'bad-model');
    return ordered;
  }

  private only(name: string): OnnxNode | undefined {
    const list = this.consumers.get(name) ?? [];
    const isOutput = this.model.graph.outputs.some((o) => o.name === name);
    return list.length === 1 && !isOutput ? list[0] : undefined;
  }

  /** SiLU (x · sigmoid(x)) and HardSwish written as x · hardsigmoid(x); MatMul + Add(bias). */
  private findFusions(order: OnnxNode[]): void {
    for (const node of order) {
      if (node.opType === 'Mul' && node.inputs.length === 2) {
        for (const k of [0, 1]) {
          const gate = this.producer.get(node.inputs[k]!);
          const x = node.inputs[1 - k]!;
          if (!gate || gate.inputs[0] !== x || this.only(gate.outputs[0]!) !== node) continue;
          if (gate.opType === 'Sigmoid' || (gate.opType === 'HardSigmoid' && Math.abs(attrFloat(gate, 'alpha', 0.2) - 1 / 6) < 1e-6 && Math.abs(attrFloat(gate, 'beta', 0.5) - 0.5) < 1e-7)) {
            this.fused.add(gate);
            this.fusedAs.set(node, gate.opType === 'Sigmoid' ? 'silu' : 'hardswish');
            break;
          }
        }
      }
      if (node.opType === 'MatMul') {
        const add = this.only(node.outputs[0]!);
        if (add?.opType === 'Add') {
          const index = add.inputs.findIndex((i) => i !== node.outputs[0]);
          const init = index >= 0 ? this.resolveInitializer(add.inputs[index]!) : undefined;
          const weight = this.resolveInitializer(node.inputs[1] ?? '');
          if (init && weight && weight.dims.length === 2 && elementCount(init.dims) === weight.dims[1] && init.dims.length <= 2) {
            this.fused.add(add);
            this.matmulBias.set(node, { add, index });
          }
        }
      }
    }
  }

  private readonly fusedAs = new Map<OnnxNode, 'silu' | 'hardswish'>();
  private readonly matmulBias = new Map<OnnxNode, { add: OnnxNode; index: number }>();

  private value(node: OnnxNode, index: number): Value | undefined {
    const name = node.inputs[index];
    if (!name) return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(`${label(node)} reads "${name}", which is not available`, 'bad-model');
    return v;
  }

  private val(node: OnnxNode, index: number): Val {
    const v = this.value(node, index);
    if (!v || v.kind !== 'val') this.refuse(node, `input ${index + 1} ("${node.inputs[index]}") must be computed from the model input`);
    return v;
  }

  private async ints(node: OnnxNode, index: number): Promise<Ints | undefined> {
    const v = this.value(node, index);
    if (!v) return undefined;
    if (v.kind === 'ints') return v;
    if (v.kind === 'const') return { kind: 'ints', values: await this.constValues(v), scalar: v.dims.length === 0 };
    this.refuse(node, `input ${index + 1} ("${node.inputs[index]}") must be a constant`);
  }

  private async constValues(c: Const): Promise<number[]> {
    if (!c.values) c.values = await intValues(c.tensor!, this.external, this.file);
    return c.values;
  }

  private async numbers(node: OnnxNode, index: number): Promise<number[] | undefined> {
    const v = await this.ints(node, index);
    if (!v) return undefined;
    if (v.values.some((x) => x === 'N')) this.refuse(node, `input ${index + 1} depends on the batch size`);
    return v.values as number[];
  }

  /** The initializer a name stands for, through Identity nodes (exporters share equal initializers so). */
  private resolveInitializer(name: string): OnnxTensor | undefined {
    let current = name;
    for (let hops = 0; hops < 64; hops++) {
      const init = this.initializers.get(current);
      if (init) return init;
      const producer = this.producer.get(current);
      if (producer?.opType !== 'Identity' || !KNOWN_DOMAINS.has(producer.domain)) return undefined;
      current = producer.inputs[0] ?? '';
    }
    return undefined;
  }

  /** A weight input's float values and where it lives (a weight shared with other layers is read for each). */
  private async weight(node: OnnxNode, index: number): Promise<{ tensor: OnnxTensor; values: Float32Array; slot: WeightSlot }> {
    const name = node.inputs[index] ?? '';
    const tensor = this.resolveInitializer(name);
    if (!tensor) this.refuse(node, `its weight "${name}" is not an initializer (weights computed in the graph are not read)`);
    const slot = { node: this.nodeIndex.get(node)!, input: index, name, initializer: tensor.name };
    return { tensor, values: await floatValues(tensor, this.external, this.file), slot };
  }

  private addLayer(className: string, name: string, config: Json, inputs: string[]): string {
    this.layers.push({ name, class_name: className, config: { name, trainable: true, dtype: 'float32', ...config }, inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])] });
    return name;
  }

  /** The layer name for `node`: its PyTorch module path (weight name or TorchScript scope), else its node name. */
  private nameFor(node: OnnxNode, suffix = ''): string {
    const weight = ['Conv', 'Gemm', 'MatMul', 'BatchNormalization'].includes(node.opType) ? node.inputs[1] : undefined;
    const fromWeight = weight && !weight.includes('::') && /\.weight$/.test(weight) ? weight.replace(/\.weight$/, '') : null;
    const scope = modulePath(node.name);
    let base: string;
    if (fromWeight) base = fromWeight;
    else if (scope && ['Conv', 'Gemm', 'MatMul', 'BatchNormalization'].includes(node.opType)) base = scope;
    else if (scope) base = `${scope}.${node.name.split('/').pop()}`;
    else base = node.name.replace(/^\/+/, '') || `${node.opType}_${node.outputs[0] ?? ''}`;
    return this.layerName(node.opType, base + suffix);
  }

  private out(node: OnnxNode, val: Omit<Val, 'kind'>): void {
    this.setVal(node.outputs[0]!, { kind: 'val', ...val });
  }

  /** An NCHW map for a layer that needs one: a [C, 1, 1] vector becomes a 1×1 map (Reshape). */
  private toChw(node: OnnxNode, v: Val): Val {
    if (v.layout === 'chw') return v;
    if (v.layout === 'c11') {
      let layer = this.chwOf.get(v.layer);
      if (!layer) {
        layer = this.addLayer('Reshape', this.layerName('Reshape', `${v.layer}.map`), { target_shape: [1, 1, v.shape[0]!] }, [v.layer]);
        this.chwOf.set(v.layer, layer);
      }
      return { kind: 'val', layer, shape: v.shape, layout: 'chw', nonNegative: v.nonNegative };
    }
    this.refuse(node, `it needs a feature map [C, H, W] but gets a vector of ${v.shape[0]}`);
  }

  /** Explicit pads [top, left, bottom, right] from pads / auto_pad. */
  private pads(node: OnnxNode, inHW: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
    const auto = attr(node, 'auto_pad')?.s ?? 'NOTSET';
    if (auto === 'NOTSET') {
      const pads = attrInts(node, 'pads') ?? [0, 0, 0, 0];
      if (pads.length !== 4 || pads.some((p) => p < 0)) this.refuse(node, `pads [${pads.join(', ')}] are not 4 non-negative numbers`);
      return [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
    }
    if (auto === 'VALID') return [0, 0, 0, 0];
    if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') this.refuse(node, `auto_pad ${auto} is unknown`);
    const out = [0, 1].map((a) => {
      const size = Math.ceil(inHW[a]! / strides[a]!);
      const total = Math.max((size - 1) * strides[a]! + (kernel[a]! - 1) * dilations[a]! + 1 - inHW[a]!, 0);
      const small = Math.floor(total / 2);
      return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    });
    return [out[0]![0]!, out[1]![0]!, out[0]![1]!, out[1]![1]!];
  }

  /**
   * tfjs padding for a window op: 'valid', 'same' (stride 1, symmetric pads of (k-1)·d/2, where
   * TF's 'same' is exact), or an explicit ZeroPadding2D layer (returned as the new input).
   */
  private padding(
    node: OnnxNode,
    x: Val,
    pads: number[],
    kernel: number[],
    strides: number[],
    dilations: number[],
    zeroOk: boolean,
    name: string,
    sameOk = true,
  ): { input: Val; padding: 'valid' | 'same' } {
    const [t, l, b, r] = pads;
    if (!t && !l && !b && !r) return { input: x, padding: 'valid' };
    const same = sameOk && [0, 1].every((a) => strides[a] === 1 && pads[a] === pads[a + 2] && pads[a]! * 2 === (kernel[a]! - 1) * dilations[a]!);
    if (same) return { input: x, padding: 'same' };
    if (!zeroOk) this.refuse(node, `padding [${pads.join(', ')}] with stride [${strides.join(', ')}] has no exact TensorFlow.js equivalent here`);
    const layer = this.addLayer('ZeroPadding2D', this.layerName('ZeroPadding2D', `${name}.pad`), { padding: [[t, b], [l, r]], data_format: 'channels_last' }, [x.layer]);
    const [c, h, w] = x.shape;
    return { input: { kind: 'val', layer, shape: [c!, h! + t! + b!, w! + l! + r!], layout: 'chw', nonNegative: x.nonNegative }, padding: 'valid' };
  }

  private windowShape(node: OnnxNode, x: Val, kernel: number[], strides: number[], dilations: number[], padding: 'valid' | 'same', channels: number): number[] {
    const [, h, w] = x.shape;
    const size = (n: number, a: number): number =>
      padding === 'same' ? Math.ceil(n / strides[a]!) : Math.floor((n - (kernel[a]! - 1) * dilations[a]! - 1) / strides[a]!) + 1;
    const out = [channels, size(h!, 0), size(w!, 1)];
    if (out[1]! < 1 || out[2]! < 1) this.fail(`${label(node)} has a ${kernel.join('×')} window larger than its padded [${h}, ${w}] input`, 'bad-model');
    return out;
  }

  /** kernel_shape, strides and dilations: two positive integers each. */
  private checkWindow(node: OnnxNode, kernel: number[], strides: number[], dilations: number[]): void {
    for (const [what, values] of [['kernel_shape', kernel], ['strides', strides], ['dilations', dilations]] as const) {
      if (values.length !== 2 || values.some((v) => !Number.isSafeInteger(v) || v < 1)) this.fail(`${label(node)} has ${what} [${values.join(', ')}]; 2-D windows need two positive integers`, 'bad-model');
    }
  }

  private async convertNode(node: OnnxNode): Promise<void> {
    switch (node.opType) {
      case 'Conv':
        return this.conv(node);
      case 'ConvTranspose':
        this.refuse(node, 'transposed convolutions are not supported (no pruning rule for them)');
        break;
      case 'BatchNormalization':
        return this.batchNorm(node);
      case 'Relu':
        return this.activation(node, 'relu', true);
      case 'Sigmoid':
        return this.activation(node, 'sigmoid', true);
      case 'Tanh':
        return this.activation(node, 'tanh', false);
      case 'Softplus':
        return this.activation(node, 'softplus', true);
      case 'Elu':
        if (attrFloat(node, 'alpha', 1) !== 1) this.refuse(node, 'alpha other than 1');
        return this.activation(node, 'elu', false);
      case 'Clip':
        return this.clip(node);
      case 'LeakyRelu': {
        const x = this.val(node, 0);
        const layer = this.addLayer('LeakyReLU', this.nameFor(node), { alpha: attrFloat(node, 'alpha', 0.01) }, [x.layer]);
        return this.out(node, { ...x, layer, nonNegative: false });
      }
      case 'HardSigmoid': {
        const x = this.val(node, 0);
        const layer = this.hardSigmoid(x, attrFloat(node, 'alpha', 0.2), attrFloat(node, 'beta', 0.5), this.nameFor(node));
        return this.out(node, { ...x, layer, nonNegative: true });
      }
      case 'HardSwish':
        return this.hardSwish(node, this.val(node, 0), this.nameFor(node));
      case 'Mul':
        return this.mul(node);
      case 'Add':
      case 'Sub':
      case 'Div':
        return this.arithmetic(node);
      case 'Concat':
        return this.concat(node);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(node);
      case 'GlobalAveragePool':
        return this.globalPool(node, true);
      case 'GlobalMaxPool': {
        const x = this.toChw(node, this.val(node, 0));
        const layer = this.addLayer('GlobalMaxPooling2D', this.nameFor(node), { data_format: 'channels_last' }, [x.layer]);
        return this.out(node, { layer, shape: [x.shape[0]!, 1, 1], layout: 'c11', nonNegative: x.nonNegative });
      }
      case 'ReduceMean':
        return this.reduceMean(node);
      case 'Flatten':
        if (attrInt(node, 'axis', 1) !== 1) this.refuse(node, `axis ${attrInt(node, 'axis', 1)} (only axis 1 flattens per sample)`);
        return this.out(node, this.flatten(node, this.val(node, 0)));
      case 'Reshape':
        return this.reshape(node);
      case 'Squeeze':
      case 'Unsqueeze':
        return this.squeeze(node);
      case 'Gemm':
        return this.gemm(node);
      case 'MatMul':
        return this.matmul(node);
      case 'Softmax':
        return this.softmax(node);
      case 'Dropout':
        return this.dropout(node);
      case 'Identity': {
        const v = this.value(node, 0);
        if (v) this.values.set(node.outputs[0]!, v);
        if (v?.kind === 'val') this.tensors.set(node.outputs[0]!, { layer: v.layer, layout: v.layout, shape: v.shape });
        return;
      }
      case 'Pad':
        return this.pad(node);
      case 'Constant':
        return this.constant(node);
      case 'Shape':
        return this.shape(node);
      case 'Gather':
        return this.gather(node);
      case 'Cast': {
        const v = this.value(node, 0);
        if (v?.kind !== 'ints' && v?.kind !== 'const') this.refuse(node, 'only casts of shape constants are supported');
        this.values.set(node.outputs[0]!, v);
        return;
      }
      default:
        this.refuse(node, 'Quench has no mapping for this operator');
    }
  }

  private async conv(node: OnnxNode): Promise<void> {
    const x = this.toChw(node, this.val(node, 0));
    const name = this.nameFor(node);
    const { tensor, values, slot } = await this.weight(node, 1);
    if (tensor.dims.length !== 4) this.refuse(node, `weight "${tensor.name}" has shape [${tensor.dims.join(', ')}]; only 2-D convolutions are supported`);
    const [o, inPerGroup, kh, kw] = tensor.dims as [number, number, number, number];
    const c = x.shape[0]!;
    const group = attrInt(node, 'group', 1);
    const kernel = attrInts(node, 'kernel_shape') ?? [kh, kw];
    if (kernel[0] !== kh || kernel[1] !== kw) this.fail(`${label(node)} declares kernel_shape [${kernel.join(', ')}] but its weight "${tensor.name}" is [${tensor.dims.join(', ')}]`, 'bad-model');
    if (inPerGroup * group !== c) this.fail(`${label(node)} has weight "${tensor.name}" of shape [${tensor.dims.join(', ')}] (group ${group}) for an input of ${c} channels`, 'bad-model');
    const depthwise = group > 1 && group === c && o % c === 0;
    if (group > 1 && !depthwise) this.refuse(node, `grouped convolution (group ${group} of ${c} channels) other than depthwise has no TensorFlow.js layer`);
    const strides = attrInts(node, 'strides') ?? [1, 1];
    const dilations = attrInts(node, 'dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1) && strides.some((d) => d !== 1)) this.refuse(node, 'a dilated convolution with strides (TensorFlow.js takes one or the other)');
    this.checkWindow(node, [kh, kw], strides, dilations);
    const pads = this.pads(node, x.shape.slice(1), [kh, kw], strides, dilations);
    const { input, padding } = this.padding(node, x, pads, [kh, kw], strides, dilations, true, name);
    let bias: Float32Array | undefined;
    let biasSlot: WeightSlot | undefined;
    if (node.inputs[2]) {
      const b = await this.weight(node, 2);
      if (elementCount(b.tensor.dims) !== o) this.fail(`${label(node)} has bias "${b.tensor.name}" of ${elementCount(b.tensor.dims)} values for ${o} filters`, 'bad-model');
      bias = b.values;
      biasSlot = b.slot;
    }
    const common = { kernel_size: [kh, kw], strides, padding, data_format: 'channels_last', dilation_rate: dilations, activation: 'linear', use_bias: !!bias, bias_initializer: ZEROS };
    const stored: StoredWeight[] = [];
    if (depthwise) {
      const m = o / c;
      this.addLayer('DepthwiseConv2D', name, { ...common, depth_multiplier: m, depthwise_initializer: ZEROS }, [input.layer]);
      stored.push({ name: `${name}/depthwise_kernel`, shape: [kh, kw, c, m], values: convToTfjs(values, o, 1, kh, kw) });
    } else {
      this.addLayer('Conv2D', name, { ...common, filters: o, kernel_initializer: ZEROS }, [input.layer]);
      stored.push({ name: `${name}/kernel`, shape: [kh, kw, inPerGroup, o], values: convToTfjs(values, o, inPerGroup, kh, kw) });
    }
    if (bias) stored.push({ name: `${name}/bias`, shape: [o], values: bias });
    this.weights.set(name, stored);
    this.origins.set(name, { kind: 'conv', node: this.nodeIndex.get(node)!, weight: slot, ...(biasSlot ? { bias: biasSlot } : {}), depthwise });
    this.out(node, { layer: name, shape: this.windowShape(node, input, [kh, kw], strides, dilations, padding, o), layout: 'chw' });
  }

  private async batchNorm(node: OnnxNode): Promise<void> {
    if (attrInt(node, 'training_mode', 0) !== 0 || node.outputs.filter(Boolean).length > 1) this.refuse(node, 'training-mode BatchNormalization (export the model in eval mode)');
    const x = this.val(node, 0);
    if (x.order) this.refuse(node, 'it normalises a flattened feature map, whose features are ordered (c, h, w) in the file');
    const name = this.nameFor(node);
    const channels = x.shape[0]!;
    const params = await Promise.all([1, 2, 3, 4].map((i) => this.weight(node, i)));
    for (const p of params) {
      if (elementCount(p.tensor.dims) !== channels) this.fail(`${label(node)} has "${p.tensor.name}" of ${elementCount(p.tensor.dims)} values for ${channels} channels`, 'bad-model');
    }
    this.addLayer('BatchNormalization', name, {
      axis: -1, momentum: attrFloat(node, 'momentum', 0.9), epsilon: attrFloat(node, 'epsilon', 1e-5), center: true, scale: true,
      beta_initializer: ZEROS, gamma_initializer: ONES, moving_mean_initializer: ZEROS, moving_variance_initializer: ONES,
    }, [x.layer]);
    const names = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
    this.weights.set(name, params.map((p, i) => ({ name: `${name}/${names[i]}`, shape: [channels], values: p.values })));
    this.origins.set(name, { kind: 'bn', node: this.nodeIndex.get(node)!, params: params.map((p) => p.slot) as [WeightSlot, WeightSlot, WeightSlot, WeightSlot] });
    this.out(node, { ...x, layer: name, nonNegative: false });
  }

  private activation(node: OnnxNode, activation: string, nonNegative: boolean): void {
    const x = this.val(node, 0);
    const layer = this.addLayer('Activation', this.nameFor(node), { activation }, [x.layer]);
    this.out(node, { ...x, layer, nonNegative });
  }

  private async clip(node: OnnxNode): Promise<void> {
    const x = this.val(node, 0);
    const bound = async (index: number, attrName: string): Promise<number | undefined> => {
      if (node.inputs[index]) return (await this.numbers(node, index))![0];
      const a = attr(node, attrName);
      return a?.f;
    };
    const min = await bound(1, 'min');
    const max = await bound(2, 'max');
    if (min !== 0) this.refuse(node, `Clip to [${min ?? '-inf'}, ${max ?? 'inf'}] (only ReLU-like clips from 0 are supported)`);
    const name = this.nameFor(node);
    const layer = max === undefined || max === Infinity
      ? this.addLayer('Activation', name, { activation: 'relu' }, [x.layer])
      : this.addLayer('ReLU', name, { max_value: max }, [x.layer]);
    this.out(node, { ...x, layer, nonNegative: true });
  }

  /** clip(alpha·x + beta, 0, 1) as Rescaling + ReLU(max 1): layers every format knows. */
  private hardSigmoid(x: Val, alpha: number, beta: number, name: string): string {
    const scaled = this.addLayer('Rescaling', this.layerName('Rescaling', `${name}.scale`), { scale: alpha, offset: beta }, [x.layer]);
    return this.addLayer('ReLU', name, { max_value: 1 }, [scaled]);
  }

  private hardSwish(node: OnnxNode, x: Val, name: string): void {
    const gate = this.hardSigmoid(x, 1 / 6, 0.5, this.layerName('HardSigmoid', `${name}.gate`));
    const layer = this.addLayer('Multiply', name, {}, [x.layer, gate]);
    this.out(node, { ...x, layer, nonNegative: false });
  }

  private async scalar(node: OnnxNode, index: number): Promise<number | undefined> {
    const v = this.value(node, index);
    if (v?.kind !== 'const' || elementCount(v.dims) !== 1) return undefined;
    return (await this.constValues(v))[0];
  }

  private async mul(node: OnnxNode): Promise<void> {
    const fusion = this.fusedAs.get(node);
    if (fusion) {
      const gate = this.producer.get(node.inputs.find((i) => this.fused.has(this.producer.get(i)!))!)!;
      const x = this.values.get(gate.inputs[0]!) as Val;
      const name = this.nameFor(node);
      if (fusion === 'silu') {
        const layer = this.addLayer('Activation', name, { activation: 'swish' }, [x.layer]);
        this.out(node, { ...x, layer, nonNegative: false });
        // The folded sigmoid's tensor has the same shape (its value_info follows structured removal).
        this.tensors.set(gate.outputs[0]!, { layer, layout: x.layout, shape: x.shape });
        return;
      }
      this.hardSwish(node, x, name);
      const place = this.tensors.get(node.outputs[0]!)!;
      this.tensors.set(gate.outputs[0]!, place);
      return;
    }
    const [a, b] = [this.value(node, 0), this.value(node, 1)];
    if (a?.kind === 'val' && b?.kind === 'val') return this.merge(node, 'Multiply', a, b);
    const k = a?.kind === 'val' ? 1 : 0;
    const x = (k === 1 ? a : b) as Val | undefined;
    const s = await this.scalar(node, k);
    if (!x || x.kind !== 'val' || s === undefined) this.refuse(node, 'multiplication by a tensor constant (only a scalar, or two computed tensors)');
    const layer = this.addLayer('Rescaling', this.nameFor(node), { scale: s, offset: 0 }, [x.layer]);
    this.out(node, { ...x, layer, nonNegative: x.nonNegative && s >= 0 });
  }

  /** Multiply / Add of two computed tensors; a [C, 1, 1] gate broadcasts over an NCHW map. */
  private merge(node: OnnxNode, cls: 'Multiply' | 'Add', a: Val, b: Val): void {
    let [x, y] = [a, b];
    if (x.layout !== y.layout) {
      if (cls === 'Multiply' && (x.layout === 'c11' || y.layout === 'c11')) {
        x = this.toChw(node, x);
        y = this.toChw(node, y);
      } else this.refuse(node, `it combines a [${a.shape.join(', ')}] and a [${b.shape.join(', ')}] tensor`);
    }
    const spatialGate = (p: Val, q: Val): boolean => cls === 'Multiply' && p.shape[0] === q.shape[0] && p.shape.slice(1).every((d) => d === 1);
    if (JSON.stringify(x.shape) !== JSON.stringify(y.shape) && !spatialGate(y, x) && !spatialGate(x, y)) {
      this.refuse(node, `it broadcasts [${a.shape.join(', ')}] with [${b.shape.join(', ')}]`);
    }
    if (JSON.stringify(x.order) !== JSON.stringify(y.order)) this.refuse(node, 'it combines vectors flattened in different orders');
    const big = x.shape.reduce((p, q) => p * q, 1) >= y.shape.reduce((p, q) => p * q, 1) ? x : y;
    const layer = this.addLayer(cls, this.nameFor(node), {}, [x.layer, y.layer]);
    this.out(node, { layer, shape: big.shape, layout: big.layout, order: big.order, nonNegative: cls === 'Add' ? x.nonNegative && y.nonNegative : x.nonNegative && y.nonNegative });
  }

  private async arithmetic(node: OnnxNode): Promise<void> {
    const [a, b] = [this.value(node, 0), this.value(node, 1)];
    if (a?.kind === 'ints' || b?.kind === 'ints') this.refuse(node, 'arithmetic on shapes');
    if (a?.kind === 'val' && b?.kind === 'val') {
      if (node.opType === 'Add') return this.merge(node, 'Add', a, b);
      // a − b as a + (−1)·b: tfjs has no Subtract layer.
      if (node.opType === 'Sub') {
        const negated = this.addLayer('Rescaling', this.layerName('Rescaling', `${this.nameFor(node)}.negate`), { scale: -1, offset: 0 }, [b.layer]);
        return this.merge(node, 'Add', a, { ...b, layer: negated, nonNegative: false });
      }
      this.refuse(node, `${node.opType} of two computed tensors has no TensorFlow.js layer`);
    }
    // A constant normalisation: x + c, x - c, x / c with a scalar c, as a Rescaling layer.
    if (a?.kind !== 'val') this.refuse(node, 'the constant comes first (only x + c, x - c, x / c are supported)');
    const c = await this.scalar(node, 1);
    if (c === undefined) this.refuse(node, `${node.opType} with a constant tensor (only a scalar constant normalisation is supported)`);
    const config = node.opType === 'Add' ? { scale: 1, offset: c } : node.opType === 'Sub' ? { scale: 1, offset: -c } : { scale: 1 / c, offset: 0 };
    if (node.opType === 'Div' && c === 0) this.refuse(node, 'division by zero');
    const layer = this.addLayer('Rescaling', this.nameFor(node), config, [a.layer]);
    this.out(node, { ...a, layer, nonNegative: false });
  }

  private async concat(node: OnnxNode): Promise<void> {
    const parts = node.inputs.map((_, i) => this.value(node, i));
    if (parts.every((p) => p?.kind === 'ints')) {
      this.values.set(node.outputs[0]!, { kind: 'ints', values: parts.flatMap((p) => (p as Ints).values), scalar: false });
      return;
    }
    if (parts.some((p) => p?.kind !== 'val')) {
      // Shape pieces mixing computed and constant integers.
      return this.concatInts(node);
    }
    const vals = parts as Val[];
    const rank = vals[0]!.shape.length + 1;
    const axis = attrInt(node, 'axis', 1);
    if (axis !== 1 && axis !== 1 - rank) this.refuse(node, `concatenation along axis ${axis} (only the channel axis 1)`);
    const layout = vals[0]!.layout;
    if (vals.some((v) => v.layout !== layout || v.order || JSON.stringify(v.shape.slice(1)) !== JSON.stringify(vals[0]!.shape.slice(1)))) {
      this.refuse(node, 'its inputs differ in layout or spatial size');
    }
    const layer = this.addLayer('Concatenate', this.nameFor(node), { axis: -1 }, vals.map((v) => v.layer));
    const channels = vals.reduce((n, v) => n + v.shape[0]!, 0);
    this.out(node, { layer, shape: [channels, ...vals[0]!.shape.slice(1)], layout, nonNegative: vals.every((v) => v.nonNegative) });
  }

  private async concatInts(node: OnnxNode): Promise<void> {
    const out: (number | 'N')[] = [];
    for (let i = 0; i < node.inputs.length; i++) {
      const v = await this.ints(node, i);
      if (!v) this.refuse(node, 'an empty input');
      out.push(...v.values);
    }
    this.values.set(node.outputs[0]!, { kind: 'ints', values: out, scalar: false });
  }

  private pool(node: OnnxNode): void {
    const x = this.toChw(node, this.val(node, 0));
    const name = this.nameFor(node);
    const kernel = attrInts(node, 'kernel_shape');
    if (!kernel || kernel.length !== 2) this.refuse(node, 'a pooling window that is not 2-D');
    const strides = attrInts(node, 'strides') ?? [1, 1];
    const dilations = attrInts(node, 'dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1)) this.refuse(node, 'dilated pooling');
    if (node.outputs.filter(Boolean).length > 1) this.refuse(node, 'the indices output');
    this.checkWindow(node, kernel, strides, dilations);
    const pads = this.pads(node, x.shape.slice(1), kernel, strides, dilations);
    const max = node.opType === 'MaxPool';
    // Zero padding is exact for a max pool over non-negative values, and for an average pool that counts the padding.
    const countsPadding = attrInt(node, 'count_include_pad', 0) === 1;
    const zeroOk = max ? !!x.nonNegative : countsPadding;
    // TF's 'same' pooling leaves the padding out (a max over real values, an average over them only).
    const { input, padding } = this.padding(node, x, pads, kernel, strides, dilations, zeroOk, name, max || !countsPadding);
    const floorShape = this.windowShape(node, input, kernel, strides, dilations, padding, x.shape[0]!);
    if (attrInt(node, 'ceil_mode', 0) === 1) {
      const [, h, w] = input.shape;
      const ceilShape = [Math.ceil((h! - kernel[0]!) / strides[0]!) + 1, Math.ceil((w! - kernel[1]!) / strides[1]!) + 1];
      if (padding !== 'valid' || ceilShape[0] !== floorShape[1] || ceilShape[1] !== floorShape[2]) this.refuse(node, 'ceil_mode 1 where it changes the output size');
    }
    const layer = this.addLayer(max ? 'MaxPooling2D' : 'AveragePooling2D', name, { pool_size: kernel, strides, padding, data_format: 'channels_last' }, [input.layer]);
    this.out(node, { layer, shape: floorShape, layout: 'chw', nonNegative: x.nonNegative });
  }

  private globalPool(node: OnnxNode, keepDims: boolean): void {
    const x = this.toChw(node, this.val(node, 0));
    const layer = this.addLayer('GlobalAveragePooling2D', this.nameFor(node), { data_format: 'channels_last' }, [x.layer]);
    this.out(node, { layer, shape: keepDims ? [x.shape[0]!, 1, 1] : [x.shape[0]!], layout: keepDims ? 'c11' : 'flat', nonNegative: x.nonNegative });
  }

  private async reduceMean(node: OnnxNode): Promise<void> {
    const axes = (node.inputs[1] ? await this.numbers(node, 1) : attrInts(node, 'axes')) ?? [];
    const x = this.val(node, 0);
    const normal = axes.map((a) => (a < 0 ? a + 4 : a)).sort();
    if (x.layout !== 'chw' || JSON.stringify(normal) !== '[2,3]') this.refuse(node, `a mean over axes [${axes.join(', ')}] (only the spatial mean over axes 2 and 3)`);
    return this.globalPool(node, attrInt(node, 'keepdims', 1) === 1);
  }

  /** A per-sample flatten: a vector stays; a [C, 1, 1] is its channels; a map gets a Flatten layer. */
  private flatten(node: OnnxNode, x: Val): Omit<Val, 'kind'> {
    if (x.layout === 'flat') return x;
    if (x.layout === 'c11') return { ...x, shape: [x.shape[0]!], layout: 'flat' };
    const [c, h, w] = x.shape as [number, number, number];
    const layer = this.addLayer('Flatten', this.nameFor(node), { data_format: 'channels_last' }, [x.layer]);
    return { layer, shape: [c * h * w], layout: 'flat', ...(h * w > 1 ? { order: { c, h, w } } : {}), nonNegative: x.nonNegative };
  }

  private async reshape(node: OnnxNode): Promise<void> {
    const x = this.val(node, 0);
    const target = await this.ints(node, 1);
    if (!target) this.refuse(node, 'no target shape');
    const size = x.shape.reduce((a, b) => a * b, 1);
    const dims = target.values;
    const batchFirst = dims.length >= 1 && (dims[0] === 'N' || dims[0] === 0 || typeof dims[0] === 'number');
    const rest = dims.slice(1);
    if (batchFirst && rest.length === 1 && (rest[0] === size || (rest[0] === -1 && dims[0] !== -1))) {
      const flat = this.flatten(node, x);
      this.out(node, flat);
      const shapeName = node.inputs[1]!;
      const constant = this.values.get(shapeName);
      if (rest[0] === size && constant?.kind === 'const') this.flattenConstants.push({ tensor: shapeName, layer: flat.layer, values: dims as number[] });
      return;
    }
    if (batchFirst && x.layout !== 'chw' && !x.order && rest.length === 3 && rest[0] === x.shape[0] && rest[1] === 1 && rest[2] === 1) {
      return this.out(node, { ...x, shape: [x.shape[0]!, 1, 1], layout: 'c11' });
    }
    this.refuse(node, `reshaping [N, ${x.shape.join(', ')}] to [${dims.join(', ')}] does more than flatten`);
  }

  private async squeeze(node: OnnxNode): Promise<void> {
    const v = this.value(node, 0);
    const axes = (node.inputs[1] ? await this.numbers(node, 1) : attrInts(node, 'axes')) ?? [];
    if (v?.kind === 'ints' || v?.kind === 'const') {
      const ints = v.kind === 'ints' ? v : await this.ints(node, 0);
      const scalar = node.opType === 'Squeeze';
      this.values.set(node.outputs[0]!, { kind: 'ints', values: ints!.values, scalar });
      return;
    }
    const x = this.val(node, 0);
    const normal = axes.map((a) => (a < 0 ? a + x.shape.length + 1 : a)).sort().join(',');
    if (node.opType === 'Squeeze' && (x.layout === 'c11' || (x.layout === 'chw' && x.shape[1] === 1 && x.shape[2] === 1)) && normal === '2,3') {
      return this.out(node, this.flatten(node, x));
    }
    if (node.opType === 'Unsqueeze' && x.layout === 'flat' && !x.order && normal === '2,3') return this.out(node, { ...x, shape: [x.shape[0]!, 1, 1], layout: 'c11' });
    this.refuse(node, `${node.opType} of axes [${axes.join(', ')}] on [N, ${x.shape.join(', ')}] does more than flatten`);
  }

  private async dense(node: OnnxNode, x: Val, transB: boolean, biasInput: { node: OnnxNode; index: number } | undefined, matmul: boolean): Promise<void> {
    if (x.layout === 'chw') this.refuse(node, `it multiplies a feature map [${x.shape.join(', ')}]; flatten it first`);
    const name = this.nameFor(node);
    const { tensor, values, slot } = await this.weight(node, 1);
    if (tensor.dims.length !== 2) this.refuse(node, `weight "${tensor.name}" of shape [${tensor.dims.join(', ')}] is not a matrix`);
    const [k, units] = transB ? [tensor.dims[1]!, tensor.dims[0]!] : [tensor.dims[0]!, tensor.dims[1]!];
    if (k !== x.shape[0]) this.fail(`${label(node)} has weight "${tensor.name}" of shape [${tensor.dims.join(', ')}] for an input of ${x.shape[0]} values`, 'bad-model');
    const kernel = denseToTfjs(values, k, units, transB, x.order);
    const stored: StoredWeight[] = [{ name: `${name}/kernel`, shape: [k, units], values: kernel }];
    let biasSlot: WeightSlot | undefined;
    let biasDims: number[] | undefined;
    if (biasInput) {
      const b = await this.weight(biasInput.node, biasInput.index);
      if (elementCount(b.tensor.dims) !== units || b.tensor.dims.length > 2) this.fail(`${label(node)} has bias "${b.tensor.name}" of shape [${b.tensor.dims.join(', ')}] for ${units} units`, 'bad-model');
      stored.push({ name: `${name}/bias`, shape: [units], values: b.values });
      biasSlot = b.slot;
      biasDims = b.tensor.dims;
    }
    this.addLayer('Dense', name, { units, activation: 'linear', use_bias: !!biasInput, kernel_initializer: ZEROS, bias_initializer: ZEROS }, [x.layer]);
    this.weights.set(name, stored);
    this.origins.set(name, { kind: 'dense', node: this.nodeIndex.get(node)!, weight: slot, transB, matmul, ...(biasSlot ? { bias: biasSlot, biasDims } : {}), ...(x.order ? { order: x.order } : {}) });
    const output = matmul && this.matmulBias.get(node) ? this.matmulBias.get(node)!.add.outputs[0]! : node.outputs[0]!;
    this.setVal(output, { kind: 'val', layer: name, shape: [units], layout: 'flat' });
    if (output !== node.outputs[0]) this.setVal(node.outputs[0]!, { kind: 'val', layer: name, shape: [units], layout: 'flat' });
  }

  private async gemm(node: OnnxNode): Promise<void> {
    if (attrInt(node, 'transA', 0) !== 0) this.refuse(node, 'transA 1');
    if (attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1) this.refuse(node, 'alpha or beta other than 1');
    const x = this.val(node, 0);
    return this.dense(node, x.layout === 'c11' ? { ...x, shape: [x.shape[0]!], layout: 'flat' } : x, attrInt(node, 'transB', 0) === 1, node.inputs[2] ? { node, index: 2 } : undefined, false);
  }

  private async matmul(node: OnnxNode): Promise<void> {
    const x = this.val(node, 0);
    const bias = this.matmulBias.get(node);
    return this.dense(node, x, false, bias ? { node: bias.add, index: bias.index } : undefined, true);
  }

  private softmax(node: OnnxNode): void {
    const x = this.val(node, 0);
    const axis = attrInt(node, 'axis', -1);
    if (x.layout !== 'flat' || x.order || (axis !== -1 && axis !== 1)) this.refuse(node, `softmax over axis ${axis} of [N, ${x.shape.join(', ')}] (only over the classes of a vector)`);
    const layer = this.addLayer('Softmax', this.nameFor(node), { axis: -1 }, [x.layer]);
    this.out(node, { ...x, layer, nonNegative: true });
  }

  private async dropout(node: OnnxNode): Promise<void> {
    const x = this.val(node, 0);
    if ((this.consumers.get(node.outputs[1] ?? '') ?? []).length) this.refuse(node, 'its mask output is used');
    const ratio = node.inputs[1] ? ((await this.numbers(node, 1)) ?? [0.5])[0]! : attrFloat(node, 'ratio', 0.5);
    const layer = this.addLayer('Dropout', this.nameFor(node), { rate: ratio }, [x.layer]);
    this.out(node, { ...x, layer });
  }

  private async pad(node: OnnxNode): Promise<void> {
    const x = this.toChw(node, this.val(node, 0));
    const mode = attr(node, 'mode')?.s ?? 'constant';
    const pads = node.inputs[1] ? await this.numbers(node, 1) : attrInts(node, 'pads');
    const value = node.inputs[2] ? await this.scalar(node, 2) : attrFloat(node, 'value', 0);
    if (node.inputs[3]) this.refuse(node, 'padding selected axes');
    if (mode !== 'constant' || value !== 0) this.refuse(node, `${mode} padding with value ${value} (only zero padding)`);
    if (!pads || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || pads.some((p) => p < 0)) this.refuse(node, `pads [${pads?.join(', ')}] (only non-negative padding of the spatial axes)`);
    const [t, l, b, r] = [pads[2]!, pads[3]!, pads[6]!, pads[7]!];
    const layer = this.addLayer('ZeroPadding2D', this.nameFor(node), { padding: [[t, b], [l, r]], data_format: 'channels_last' }, [x.layer]);
    this.out(node, { layer, shape: [x.shape[0]!, x.shape[1]! + t + b, x.shape[2]! + l + r], layout: 'chw', nonNegative: x.nonNegative });
  }

  private constant(node: OnnxNode): void {
    const out = node.outputs[0]!;
    const a = [...node.attributes.values()][0];
    if (!a) this.refuse(node, 'no value');
    if (a.t) {
      this.values.set(out, { kind: 'const', dims: a.t.dims, tensor: a.t, name: out });
      this.constantTensors.set(out, node);
    } else if (a.name === 'value_float') this.values.set(out, { kind: 'const', dims: [], values: [a.f ?? 0], name: out });
    else if (a.name === 'value_int') this.values.set(out, { kind: 'const', dims: [], values: [a.i ?? 0], name: out });
    else if (a.name === 'value_floats') this.values.set(out, { kind: 'const', dims: [a.floats.length], values: a.floats, name: out });
    else if (a.name === 'value_ints') this.values.set(out, { kind: 'const', dims: [a.ints.length], values: a.ints, name: out });
    else this.refuse(node, `a ${a.name} constant`);
  }

  /** Constant nodes holding a tensor, by output name (the writer rewrites flatten sizes in them). */
  readonly constantTensors = new Map<string, OnnxNode>();

  private shape(node: OnnxNode): void {
    const x = this.val(node, 0);
    let dims: (number | 'N')[] = ['N', ...x.shape];
    const start = attrInt(node, 'start', 0);
    const endAttr = attr(node, 'end')?.i;
    const norm = (i: number): number => (i < 0 ? Math.max(0, i + dims.length) : Math.min(i, dims.length));
    dims = dims.slice(norm(start), endAttr === undefined ? dims.length : norm(endAttr));
    this.values.set(node.outputs[0]!, { kind: 'ints', values: dims, scalar: false });
  }

  private async gather(node: OnnxNode): Promise<void> {
    const data = await this.ints(node, 0);
    const index = await this.ints(node, 1);
    if (!data || !index || attrInt(node, 'axis', 0) !== 0) this.refuse(node, 'a gather that is not from a shape');
    const picked = index.values.map((i) => {
      if (i === 'N') this.refuse(node, 'an index that depends on the batch');
      const k = i < 0 ? i + data.values.length : i;
      if (k < 0 || k >= data.values.length) this.refuse(node, `index ${i} out of range`);
      return data.values[k]!;
    });
    this.values.set(node.outputs[0]!, { kind: 'ints', values: picked, scalar: index.scalar });
  }
}

/** ONNX conv kernel [O, I, kh, kw] → tfjs [kh, kw, I, O] (depthwise: O = C·m, I = 1 → [kh, kw, C, m] is the same order). */
export function convToTfjs(w: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = w[((a * i + b) * kh + y) * kw + x]!;
  return out;
}

/** tfjs [kh, kw, I, O] → ONNX [O, I, kh, kw]. */
export function convFromTfjs(t: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((a * i + b) * kh + y) * kw + x] = t[((y * kw + x) * i + b) * o + a]!;
  return out;
}

/** The ONNX column (c, h, w order) that tfjs row r ((h, w, c) order) of a flattened map reads. */
export function onnxRow(r: number, order: FlattenOrder): number {
  const c = r % order.c;
  const hw = (r - c) / order.c;
  return c * order.h * order.w + hw;
}

/** An ONNX Gemm/MatMul weight → the tfjs Dense kernel [K, O], rows permuted for a (c, h, w) flatten. */
export function denseToTfjs(w: Float32Array, k: number, units: number, transB: boolean, order?: FlattenOrder): Float32Array {
  const out = new Float32Array(k * units);
  for (let r = 0; r < k; r++) {
    const src = order ? onnxRow(r, order) : r;
    for (let u = 0; u < units; u++) out[r * units + u] = transB ? w[u * k + src]! : w[src * units + u]!;
  }
  return out;
}

/** The tfjs Dense kernel [K, O] → the ONNX weight ([O, K] when transB), rows back in (c, h, w) order. */
export function denseFromTfjs(t: Float32Array, k: number, units: number, transB: boolean, order?: FlattenOrder): Float32Array {
  const out = new Float32Array(k * units);
  for (let r = 0; r < k; r++) {
    const dst = order ? onnxRow(r, order) : r;
    for (let u = 0; u < units; u++) {
      if (transB) out[u * k + dst] = t[r * units + u]!;
      else out[dst * units + u] = t[r * units + u]!;
    }
  }
  return out;
}

export { DataType };
