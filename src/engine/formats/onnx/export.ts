// A new ONNX graph for a model that was not read from ONNX (Keras / TF.js → ONNX), opset 17.
// The graph is NCHW, as PyTorch exports: the input is [N, C, H, W] (the images a PyTorch user
// feeds), conv kernels are [out, in, kh, kw], and a Dense after a flatten has its rows permuted
// to the (c, h, w) order of ONNX's Flatten. TF's 'same' padding becomes explicit pads. Initializers
// are named `<layer>.weight` / `<layer>.bias` (BatchNorm: `.running_mean` / `.running_var`), so
// reading the file back gives the same layer names. Nested models are written flat, their layers
// named `<model>.<layer>`. A layer with no ONNX mapping is named.
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../../core/errors';
import { convFromTfjs, denseFromTfjs, type FlattenOrder } from './convert';
import { AttrType, DataType, F } from './proto';
import { bytesField, concatBytes, floatField, packedIntsField, stringField, varintField } from './protobuf';

type Config = Record<string, unknown>;

/** How a tfjs tensor is held in the NCHW graph. */
interface Held {
  name: string;
  /** Shape without batch in tfjs's layout: [H, W, C] or [F]. */
  shape: number[];
  /** A vector flattened from an [H, W, C] map: ONNX holds it in (c, h, w) order. */
  order?: FlattenOrder;
}

function attrInts(name: string, values: number[]): Uint8Array {
  return bytesField(F.node.attribute, concatBytes([stringField(F.attr.name, name), packedIntsField(F.attr.ints, values), varintField(F.attr.type, AttrType.INTS)]));
}

function attrInt(name: string, value: number): Uint8Array {
  return bytesField(F.node.attribute, concatBytes([stringField(F.attr.name, name), varintField(F.attr.i, value), varintField(F.attr.type, AttrType.INT)]));
}

function attrFloat(name: string, value: number): Uint8Array {
  return bytesField(F.node.attribute, concatBytes([stringField(F.attr.name, name), floatField(F.attr.f, value), varintField(F.attr.type, AttrType.FLOAT)]));
}

function tensorProto(name: string, dims: number[], values: Float32Array | number[], dataType: number = DataType.FLOAT): Uint8Array {
  const raw = dataType === DataType.INT64 ? new Uint8Array(values.length * 8) : new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dataType === DataType.INT64) view.setBigInt64(i * 8, BigInt(values[i]!), true);
    else view.setFloat32(i * 4, values[i]!, true);
  }
  return concatBytes([...dims.map((d) => varintField(F.tensor.dims, d)), varintField(F.tensor.dataType, dataType), stringField(F.tensor.name, name), bytesField(F.tensor.rawData, raw)]);
}

function valueInfo(name: string, dims: (number | string)[]): Uint8Array {
  const shape = concatBytes(dims.map((d) => bytesField(F.shape.dim, typeof d === 'number' ? varintField(F.dim.value, d) : stringField(F.dim.param, d))));
  const tensorType = concatBytes([varintField(F.tensorType.elemType, DataType.FLOAT), bytesField(F.tensorType.shape, shape)]);
  return concatBytes([stringField(F.valueInfo.name, name), bytesField(F.valueInfo.type, bytesField(F.type.tensorType, tensorType))]);
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [Number(value[0]), Number(value[1])] : [Number(value ?? 1), Number(value ?? 1)];
}

/** TF's 'same' padding as explicit ONNX pads [top, left, bottom, right] (the extra pixel at the end). */
function samePads(inHW: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const [t, b, l, r] = [0, 1].flatMap((a) => {
    const out = Math.ceil(inHW[a]! / strides[a]!);
    const total = Math.max((out - 1) * strides[a]! + (kernel[a]! - 1) * dilations[a]! + 1 - inHW[a]!, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  return [t!, l!, b!, r!];
}

function windowOut(inHW: number[], kernel: number[], strides: number[], dilations: number[], padding: string): number[] {
  return [0, 1].map((a) => (padding === 'same' ? Math.ceil(inHW[a]! / strides[a]!) : Math.floor((inHW[a]! - (kernel[a]! - 1) * dilations[a]! - 1) / strides[a]!) + 1));
}

class OnnxExporter {
  private readonly nodes: Uint8Array[] = [];
  private readonly initializers: Uint8Array[] = [];
  /** What each symbolic tensor (by id) is in the ONNX graph. */
  private readonly held = new Map<number, Held>();
  private readonly names = new Set<string>();

  constructor(
    private readonly model: tf.LayersModel,
    private readonly file: string,
  ) {}

  private refuse(layer: tf.layers.Layer, why: string): never {
    throw new EngineFailure('unsupported', `cannot be written as ONNX: layer "${layer.name}" (${layer.getClassName()}) ${why}`, this.file);
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private node(op: string, inputs: string[], outputs: string[], name: string, attributes: Uint8Array[] = []): void {
    this.nodes.push(bytesField(F.graph.node, concatBytes([
      ...inputs.map((i) => stringField(F.node.input, i)),
      ...outputs.map((o) => stringField(F.node.output, o)),
      stringField(F.node.name, name),
      stringField(F.node.opType, op),
      ...attributes,
    ])));
  }

  private init(name: string, dims: number[], values: Float32Array | number[], dataType: number = DataType.FLOAT): string {
    this.names.add(name);
    this.initializers.push(bytesField(F.graph.initializer, tensorProto(name, dims, values, dataType)));
    return name;
  }

  private scalar(base: string, value: number): string {
    return this.init(this.unique(base), [], [value]);
  }

  build(): Uint8Array {
    const model = this.model;
    if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new EngineFailure('unsupported', 'cannot be written as ONNX: Quench writes models with one input and one output', this.file);
    const inputLayer = model.inputs[0]!.sourceLayer;
    const inputShape = model.inputs[0]!.shape.slice(1) as (number | null)[];
    if (inputShape.some((d) => d === null) || !(inputShape.length === 3 || inputShape.length === 1)) {
      throw new EngineFailure('unsupported', `cannot be written as ONNX: its input [${inputShape.join(', ')}] is not a fixed image [H, W, C] or vector`, this.file);
    }
    const inputName = this.unique(inputLayer.name);
    const dims = inputShape as number[];
    this.held.set(model.inputs[0]!.id, { name: inputName, shape: dims });
    const onnxInput = dims.length === 3 ? ['N', dims[2]!, dims[0]!, dims[1]!] : ['N', dims[0]!];
    this.walk(model, '');
    const out = this.held.get(model.outputs[0]!.id);
    if (!out) throw new EngineFailure('unsupported', 'cannot be written as ONNX: its output is not computed from its input', this.file);
    if (out.shape.length !== 1 || out.order) throw new EngineFailure('unsupported', 'cannot be written as ONNX: its output is not a vector of class scores', this.file);
    const graph = concatBytes([
      ...this.nodes,
      stringField(F.graph.name, model.name),
      ...this.initializers,
      bytesField(F.graph.input, valueInfo(inputName, onnxInput)),
      bytesField(F.graph.output, valueInfo(out.name, ['N', out.shape[0]!])),
    ]);
    return concatBytes([
      varintField(F.model.irVersion, 8),
      stringField(F.model.producerName, 'quench'),
      stringField(F.model.producerVersion, '0.1.0'),
      bytesField(F.model.graph, graph),
      bytesField(F.model.opsetImport, concatBytes([stringField(F.opset.domain, ''), varintField(F.opset.version, 17)])),
    ]);
  }

  /**
   * Writes the layers of `container` in order; a nested model's layers are written in place, named
   * `<model>.<layer>` (its call binds its inputs and outputs; a Sequential added whole has none).
   */
  private walk(container: tf.LayersModel, prefix: string): void {
    for (const layer of container.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const calls = layer.inboundNodes.filter((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => this.held.has(t.id)));
      if (calls.length > 1) this.refuse(layer, 'is called more than once (a shared layer)');
      const call = calls[0];
      if (layer instanceof tf.LayersModel) {
        if (call) layer.inputs.forEach((t, i) => this.held.set(t.id, this.held.get(call.inputTensors[i]!.id)!));
        this.walk(layer, `${prefix}${layer.name}.`);
        if (call) layer.outputs.forEach((t, i) => this.held.set(call.outputTensors[i]!.id, this.held.get(t.id)!));
        continue;
      }
      if (!call) this.refuse(layer, 'is not connected to the model\'s input');
      const out = this.layer(layer, call.inputTensors.map((t) => this.held.get(t.id)!), `${prefix}${layer.name}`);
      call.outputTensors.forEach((t) => this.held.set(t.id, out));
    }
  }

  /** An activation by tfjs name after `input`; returns the output tensor name. */
  private activation(layer: tf.layers.Layer, name: string, activation: string, input: string, output: string): string {
    switch (activation) {
      case 'linear':
        return input;
      case 'relu':
      case 'sigmoid':
      case 'tanh':
      case 'softplus':
      case 'elu': {
        const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softplus: 'Softplus', elu: 'Elu' }[activation]!;
        this.node(op, [input], [output], `${name}.${activation}`);
        return output;
      }
      case 'relu6':
        this.node('Clip', [input, this.scalar(`${name}.min`, 0), this.scalar(`${name}.max`, 6)], [output], `${name}.relu6`);
        return output;
      case 'hardSigmoid':
        this.node('HardSigmoid', [input], [output], `${name}.hard_sigmoid`, [attrFloat('alpha', 0.2), attrFloat('beta', 0.5)]);
        return output;
      case 'swish': {
        const gate = this.unique(`${output}.sigmoid`);
        this.node('Sigmoid', [input], [gate], `${name}.sigmoid`);
        this.node('Mul', [input, gate], [output], `${name}.swish`);
        return output;
      }
      case 'softmax':
        this.node('Softmax', [input], [output], `${name}.softmax`, [attrInt('axis', 1)]);
        return output;
      default:
        this.refuse(layer, `uses the activation "${activation}", which has no ONNX mapping here`);
    }
  }

  private layer(layer: tf.layers.Layer, inputs: Held[], name: string): Held {
    const cls = layer.getClassName();
    const config = layer.getConfig() as Config;
    const x = inputs[0]!;
    const out = this.unique(name);
    const spatial = x.shape.length === 3;
    const weights = layer.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync() as Float32Array }));
    const activationOf = (): string => String(config['activation'] ?? 'linear');
    const needMap = (): void => {
      if (!spatial) this.refuse(layer, `needs an image [H, W, C] but reads [${x.shape.join(', ')}]`);
    };
    switch (cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        needMap();
        const [h, w, c] = x.shape as [number, number, number];
        const kernel = pair(config['kernelSize']);
        const strides = pair(config['strides']);
        const dilations = pair(config['dilationRate']);
        const padding = String(config['padding']);
        const pads = padding === 'same' ? samePads([h, w], kernel, strides, dilations) : [0, 0, 0, 0];
        const attrs = [attrInts('kernel_shape', kernel), attrInts('strides', strides), attrInts('dilations', dilations), attrInts('pads', pads)];
        const [oh, ow] = windowOut([h, w], kernel, strides, dilations, padding);
        let input = x.name;
        let channels: number;
        if (cls === 'Conv2D') {
          const [kh, kw, i, o] = weights[0]!.shape as [number, number, number, number];
          const wName = this.init(`${name}.weight`, [o, i, kh, kw], convFromTfjs(weights[0]!.values, o, i, kh, kw));
          const bias = config['useBias'] ? [this.init(`${name}.bias`, [o], weights[1]!.values)] : [];
          const conv = this.unique(`${out}.conv`);
          this.node('Conv', [input, wName, ...bias], [conv], name, [...attrs, attrInt('group', 1)]);
          input = conv;
          channels = o;
        } else {
          const [kh, kw, ci, m] = weights[0]!.shape as [number, number, number, number];
          const dwName = this.init(`${name}${cls === 'SeparableConv2D' ? '.depthwise' : ''}.weight`, [ci * m, 1, kh, kw], convFromTfjs(weights[0]!.values, ci * m, 1, kh, kw));
          const dwBias = cls === 'DepthwiseConv2D' && config['useBias'] ? [this.init(`${name}.bias`, [ci * m], weights[1]!.values)] : [];
          const dw = this.unique(`${out}.depthwise`);
          this.node('Conv', [input, dwName, ...dwBias], [dw], cls === 'SeparableConv2D' ? `${name}.depthwise` : name, [...attrs, attrInt('group', c)]);
          input = dw;
          channels = ci * m;
          if (cls === 'SeparableConv2D') {
            const [, , pi, o] = weights[1]!.shape as [number, number, number, number];
            const pwName = this.init(`${name}.weight`, [o, pi, 1, 1], convFromTfjs(weights[1]!.values, o, pi, 1, 1));
            const bias = config['useBias'] ? [this.init(`${name}.bias`, [o], weights[2]!.values)] : [];
            const pw = this.unique(`${out}.pointwise`);
            this.node('Conv', [input, pwName, ...bias], [pw], name, [attrInts('kernel_shape', [1, 1]), attrInt('group', 1)]);
            input = pw;
            channels = o;
          }
        }
        const result = this.activation(layer, name, activationOf(), input, out);
        return { name: result, shape: [oh!, ow!, channels] };
      }
      case 'Dense': {
        if (x.shape.length !== 1) this.refuse(layer, `reads [${x.shape.join(', ')}]; ONNX export writes Dense layers on vectors`);
        const [k, o] = weights[0]!.shape as [number, number];
        const wName = this.init(`${name}.weight`, [o, k], denseFromTfjs(weights[0]!.values, k, o, true, x.order));
        const bias = config['useBias'] ? [this.init(`${name}.bias`, [o], weights[1]!.values)] : [];
        const gemm = this.unique(`${out}.gemm`);
        this.node('Gemm', [x.name, wName, ...bias], [gemm], name, [attrInt('transB', 1)]);
        return { name: this.activation(layer, name, activationOf(), gemm, out), shape: [o] };
      }
      case 'BatchNormalization': {
        if (x.order) this.refuse(layer, 'normalises a flattened map');
        const axis = Number(Array.isArray(config['axis']) ? (config['axis'] as number[])[0] : config['axis'] ?? -1);
        if (axis !== -1 && axis !== x.shape.length) this.refuse(layer, `normalises axis ${axis}, not the channels`);
        const channels = x.shape[x.shape.length - 1]!;
        const ones = new Float32Array(channels).fill(1);
        let i = 0;
        const gamma = config['scale'] === false ? ones : weights[i++]!.values;
        const beta = config['center'] === false ? new Float32Array(channels) : weights[i++]!.values;
        const [mean, variance] = [weights[i++]!.values, weights[i++]!.values];
        const params = [
          this.init(`${name}.weight`, [channels], gamma),
          this.init(`${name}.bias`, [channels], beta),
          this.init(`${name}.running_mean`, [channels], mean),
          this.init(`${name}.running_var`, [channels], variance),
        ];
        this.node('BatchNormalization', [x.name, ...params], [out], name, [attrFloat('epsilon', Number(config['epsilon'] ?? 1e-3)), attrFloat('momentum', Number(config['momentum'] ?? 0.99))]);
        return { ...x, name: out };
      }
      case 'Activation':
        return { ...x, name: this.elementwise(name, x, () => this.activation(layer, name, activationOf(), x.name, out)) };
      case 'ReLU': {
        const max = config['maxValue'];
        if (max === undefined || max === null) {
          this.node('Relu', [x.name], [out], name);
        } else this.node('Clip', [x.name, this.scalar(`${name}.min`, 0), this.scalar(`${name}.max`, Number(max))], [out], name);
        return { ...x, name: out };
      }
      case 'LeakyReLU':
        this.node('LeakyRelu', [x.name], [out], name, [attrFloat('alpha', Number(config['alpha'] ?? 0.3))]);
        return { ...x, name: out };
      case 'ELU':
        if (Number(config['alpha'] ?? 1) !== 1) this.refuse(layer, 'has alpha other than 1');
        this.node('Elu', [x.name], [out], name);
        return { ...x, name: out };
      case 'Softmax':
        if (spatial || x.order) this.refuse(layer, 'applies softmax to a map');
        this.node('Softmax', [x.name], [out], name, [attrInt('axis', 1)]);
        return { ...x, name: out };
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        this.node('Identity', [x.name], [out], name);
        return { ...x, name: out };
      case 'Rescaling': {
        const scale = Number(config['scale'] ?? 1);
        const offset = Number(config['offset'] ?? 0);
        if (offset === 0) {
          this.node('Mul', [x.name, this.scalar(`${name}.scale`, scale)], [out], name);
          return { ...x, name: out };
        }
        const scaled = scale === 1 ? x.name : this.unique(`${out}.scaled`);
        if (scale !== 1) this.node('Mul', [x.name, this.scalar(`${name}.scale`, scale)], [scaled], `${name}.scale`);
        this.node('Add', [scaled, this.scalar(`${name}.offset`, offset)], [out], name);
        return { ...x, name: out };
      }
      case 'ZeroPadding2D': {
        needMap();
        const p = config['padding'] as number[][];
        const [[t, b], [l, r]] = p as [[number, number], [number, number]];
        const pads = this.init(this.unique(`${name}.pads`), [8], [0, 0, t, l, 0, 0, b, r], DataType.INT64);
        this.node('Pad', [x.name, pads], [out], name, []);
        return { name: out, shape: [x.shape[0]! + t + b, x.shape[1]! + l + r, x.shape[2]!] };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        needMap();
        const kernel = pair(config['poolSize']);
        const strides = config['strides'] ? pair(config['strides']) : kernel;
        const padding = String(config['padding']);
        const [h, w, c] = x.shape as [number, number, number];
        const pads = padding === 'same' ? samePads([h, w], kernel, strides, [1, 1]) : [0, 0, 0, 0];
        const attrs = [attrInts('kernel_shape', kernel), attrInts('strides', strides), attrInts('pads', pads)];
        // TF's 'same' average excludes the padding, as ONNX's count_include_pad 0 does.
        this.node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x.name], [out], name, cls === 'MaxPooling2D' ? attrs : [...attrs, attrInt('count_include_pad', 0)]);
        const [oh, ow] = windowOut([h, w], kernel, strides, [1, 1], padding);
        return { name: out, shape: [oh!, ow!, c] };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        needMap();
        const pooled = this.unique(`${out}.pooled`);
        this.node(cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name], [pooled], name);
        this.node('Flatten', [pooled], [out], `${name}.flatten`, [attrInt('axis', 1)]);
        return { name: out, shape: [x.shape[2]!] };
      }
      case 'Flatten': {
        if (!spatial) return { ...x, name: this.identity(name, x.name, out) };
        this.node('Flatten', [x.name], [out], name, [attrInt('axis', 1)]);
        const [h, w, c] = x.shape as [number, number, number];
        return { name: out, shape: [h * w * c], ...(h * w > 1 ? { order: { c, h, w } } : {}) };
      }
      case 'Reshape': {
        const target = (config['targetShape'] as number[]).map(Number);
        if (x.shape.length === 1 && !x.order && target.length === 3 && target[0] === 1 && target[1] === 1 && target[2] === x.shape[0]) {
          this.node('Unsqueeze', [x.name, this.init(this.unique(`${name}.axes`), [2], [2, 3], DataType.INT64)], [out], name);
          return { name: out, shape: target };
        }
        if (target.length === 1 && spatial && x.shape[0] === 1 && x.shape[1] === 1 && target[0] === x.shape[2]) {
          this.node('Flatten', [x.name], [out], name, [attrInt('axis', 1)]);
          return { name: out, shape: target };
        }
        return this.refuse(layer, `reshapes [${x.shape.join(', ')}] to [${target.join(', ')}], which has no NCHW equivalent here`);
      }
      case 'Add':
      case 'Multiply': {
        if (inputs.some((i) => JSON.stringify(i.order) !== JSON.stringify(x.order))) this.refuse(layer, 'combines vectors flattened in different orders');
        const op = cls === 'Add' ? 'Add' : 'Mul';
        let acc = inputs[0]!.name;
        inputs.slice(1).forEach((next, i) => {
          const target = i === inputs.length - 2 ? out : this.unique(`${out}.${i}`);
          this.node(op, [acc, next.name], [target], i === inputs.length - 2 ? name : `${name}.${i}`);
          acc = target;
        });
        const biggest = inputs.reduce((a, b) => (a.shape.reduce((p, q) => p * q, 1) >= b.shape.reduce((p, q) => p * q, 1) ? a : b));
        return { ...biggest, name: out };
      }
      case 'Concatenate': {
        const axis = Number(config['axis'] ?? -1);
        if (axis !== -1 && axis !== x.shape.length) this.refuse(layer, `concatenates along axis ${axis}, not the channels`);
        if (inputs.some((i) => i.order)) this.refuse(layer, 'concatenates flattened maps');
        this.node('Concat', inputs.map((i) => i.name), [out], name, [attrInt('axis', 1)]);
        const channels = inputs.reduce((n, i) => n + i.shape[i.shape.length - 1]!, 0);
        return { name: out, shape: [...x.shape.slice(0, -1), channels] };
      }
      default:
        return this.refuse(layer, 'has no ONNX mapping (ONNX export covers the layers the ONNX reader reads)');
    }
  }

  private elementwise(name: string, x: Held, write: () => string): string {
    const result = write();
    return result === x.name ? this.identity(name, x.name, this.unique(`${name}.out`)) : result;
  }

  private identity(name: string, input: string, output: string): string {
    this.node('Identity', [input], [output], name);
    return output;
  }
}

/** The model as a new ONNX ModelProto (opset 17, NCHW input). */
export function exportOnnx(model: tf.LayersModel, file: string): Uint8Array {
  return new OnnxExporter(model, file).build();
}
