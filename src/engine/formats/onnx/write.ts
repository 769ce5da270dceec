// Writing ONNX: a model read from an ONNX file is written back as that file's ModelProto with only
// what changed replaced: the initializers of pruned layers (masked), and for --structured their
// new shapes, the depthwise `group`s, flatten sizes in shape constants and the value_info shapes of
// narrowed tensors. An initializer several layers share (directly or through Identity aliases)
// stays shared while their values agree; a layer whose values now differ gets its own. Every other byte (opsets, node names, metadata, doc strings, unused inputs,
// unknown fields) is re-emitted as read. External data is embedded, so the output stands alone.
// Any other model is exported as a new ONNX graph (export.ts).
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EngineFailure } from '../../core/errors';
import { writeFilesAtomically } from '../atomic';
import type { SaveOptions } from '../types';
import { convFromTfjs, denseFromTfjs, type FlattenOrder, type TensorPlace, type WeightSlot } from './convert';
import { exportOnnx } from './export';
import { F, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './proto';
import {
  bytesField,
  concatBytes,
  parseMessage,
  payload,
  rawField,
  rewriteMessage,
  stringField,
  stringOf,
  submessages,
  varintField,
  type PbMessage,
} from './protobuf';
import { isOnnxSource, type OnnxSource } from './source';
import { embedded, floatValues, isExternal, withFloatValues, withInt64Values } from './tensor';

interface NewTensor {
  dims: number[];
  values: Float32Array;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

function layerWeights(model: tf.LayersModel, name: string, file: string): { shape: number[]; values: Float32Array }[] {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new EngineFailure('mismatch', `the model to write has no layer "${name}" of the ONNX graph it came from`, file);
  }
  return layer.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync() as Float32Array }));
}

/** A weight input's new value, in the file's layout. */
interface SlotValue {
  slot: WeightSlot;
  layer: string;
  value: NewTensor;
}

/** The new value of every weight input of every weighted layer, in the file's layout, plus biases the layers gained. */
function newWeights(model: tf.LayersModel, source: OnnxSource, file: string): { slots: SlotValue[]; addedBias: Map<string, NewTensor> } {
  const slots: SlotValue[] = [];
  const addedBias = new Map<string, NewTensor>();
  for (const [layer, origin] of source.graph.origins) {
    const weights = layerWeights(model, layer, file);
    const put = (slot: WeightSlot, value: NewTensor): void => {
      slots.push({ slot, layer, value });
    };
    if (origin.kind === 'bn') {
      origin.params.forEach((param, i) => put(param, { dims: [weights[i]!.shape[0]!], values: weights[i]!.values }));
      continue;
    }
    const [kernel, bias] = weights as [{ shape: number[]; values: Float32Array }, { shape: number[]; values: Float32Array } | undefined];
    let units: number;
    if (origin.kind === 'conv') {
      const [kh, kw, i, o] = kernel.shape as [number, number, number, number];
      units = origin.depthwise ? i * o : o;
      put(origin.weight, origin.depthwise
        ? { dims: [i * o, 1, kh, kw], values: convFromTfjs(kernel.values, i * o, 1, kh, kw) }
        : { dims: [o, i, kh, kw], values: convFromTfjs(kernel.values, o, i, kh, kw) });
    } else {
      const [k, o] = kernel.shape as [number, number];
      units = o;
      let order: FlattenOrder | undefined;
      if (origin.order) order = { ...origin.order, c: k / (origin.order.h * origin.order.w) };
      put(origin.weight, { dims: origin.transB ? [o, k] : [k, o], values: denseFromTfjs(kernel.values, k, o, origin.transB, order) });
    }
    if (bias) {
      const dims = origin.kind === 'dense' && origin.biasDims?.length === 2 ? [1, units] : [units];
      if (origin.bias) put(origin.bias, { dims, values: bias.values });
      else addedBias.set(layer, { dims, values: bias.values });
    }
  }
  return { slots, addedBias };
}

function sameTensor(a: NewTensor, b: NewTensor): boolean {
  return JSON.stringify(a.dims) === JSON.stringify(b.dims) && sameValues(a.values, b.values);
}

/** A new FLOAT initializer named `name`. */
function newInitializer(name: string, value: NewTensor): Uint8Array {
  const template: OnnxTensor = { name, dims: [], dataType: 1, msg: parseMessage(stringField(F.tensor.name, name)) };
  return bytesField(F.graph.initializer, withFloatValues(template, value.dims, value.values));
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** An INT attribute set to `value` (a new AttributeProto, fields in onnx's order). */
function intAttribute(name: string, value: number): Uint8Array {
  return bytesField(F.node.attribute, new Uint8Array([...stringField(F.attr.name, name), ...varintField(F.attr.i, value), ...varintField(F.attr.type, 2)]));
}

/** Changes to one node: its `group`, inputs read under new names, an input appended. */
interface NodeEdit {
  group?: number;
  inputs: Map<number, string>;
  append?: string;
}

/** NodeProto bytes with the edit applied; null when nothing changes. */
function rewriteNode(node: OnnxNode, edit: NodeEdit): Uint8Array | null {
  const current = node.attributes.get('group')?.i ?? 1;
  const changeGroup = edit.group !== undefined && edit.group !== current;
  if (!changeGroup && edit.append === undefined && edit.inputs.size === 0) return null;
  let lastInput = -1;
  node.msg.fields.forEach((f, i) => {
    if (f.no === F.node.input) lastInput = i;
  });
  let inputIndex = -1;
  const body = rewriteMessage(
    node.msg,
    (field, i) => {
      if (field.no === F.node.input) {
        inputIndex++;
        const renamed = edit.inputs.get(inputIndex);
        const own = renamed === undefined ? rawField(node.msg, field) : stringField(F.node.input, renamed);
        if (edit.append !== undefined && i === lastInput) return concatBytes([own, stringField(F.node.input, edit.append)]);
        return renamed === undefined ? undefined : own;
      }
      if (changeGroup && field.no === F.node.attribute) {
        const a = parseMessage(payload(node.msg, field));
        if (stringOf(a, F.attr.name) === 'group') return intAttribute('group', edit.group!);
      }
      return undefined;
    },
    changeGroup && !node.attributes.has('group') ? [intAttribute('group', edit.group!)] : [],
  );
  return bytesField(F.graph.node, body);
}

/** A ValueInfoProto with the dimensions in `sizes` (by axis) set; other bytes kept. */
function withDims(info: OnnxValueInfo, sizes: ReadonlyMap<number, number>): Uint8Array {
  const edit = (msg: PbMessage, no: number, inner: (m: PbMessage) => Uint8Array): Uint8Array =>
    rewriteMessage(msg, (field) => (field.no === no ? bytesField(no, inner(parseMessage(payload(msg, field)))) : undefined));
  const body = edit(info.msg, F.valueInfo.type, (type) =>
    edit(type, F.type.tensorType, (tt) =>
      edit(tt, F.tensorType.shape, (shape) => {
        let index = -1;
        return rewriteMessage(shape, (field) => {
          if (field.no !== F.shape.dim) return undefined;
          index++;
          const size = sizes.get(index);
          if (size === undefined) return undefined;
          const dim = parseMessage(payload(shape, field));
          return bytesField(F.shape.dim, rewriteMessage(dim, (f) => (f.no === F.dim.value || f.no === F.dim.param ? null : undefined), [varintField(F.dim.value, size)]));
        });
      }),
    ),
  );
  return bytesField(F.graph.valueInfo, body);
}

/** The channel count (or vector length) a tensor has now, from the layer that holds it. */
function currentSize(model: tf.LayersModel, place: TensorPlace): number | undefined {
  try {
    const output = model.getLayer(place.layer).output;
    const shape = (Array.isArray(output) ? output[0]! : output).shape;
    return shape[shape.length - 1] ?? undefined;
  } catch {
    return undefined;
  }
}

/** The ModelProto of `source` with the weights (and, after structured removal, the shapes) of `model`. */
export async function rewriteOnnx(model: tf.LayersModel, source: OnnxSource, file: string): Promise<Uint8Array> {
  const { graph: onnxGraph } = source.model;
  const { slots, addedBias } = newWeights(model, source, file);
  const byName = new Map(onnxGraph.initializers.map((t) => [t.name, t]));
  const taken = new Set([...byName.keys(), ...onnxGraph.nodes.flatMap((n) => n.outputs), ...onnxGraph.inputs.map((i) => i.name)]);
  const consumers = new Map<string, number>();
  for (const node of onnxGraph.nodes) for (const input of node.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const graphOutputs = new Set(onnxGraph.outputs.map((o) => o.name));
  const producers = new Map(onnxGraph.nodes.flatMap((n, i) => n.outputs.map((o) => [o, i] as const)));

  const initBytes = new Map<OnnxTensor, Uint8Array>();
  const nodeBytes = new Map<number, Uint8Array | null>();
  const edits = new Map<number, NodeEdit>();
  const editOf = (node: number): NodeEdit => {
    let edit = edits.get(node);
    if (!edit) edits.set(node, (edit = { inputs: new Map() }));
    return edit;
  };
  const addedInits: Uint8Array[] = [];
  /** The tensor each initializer gets: its first reader's; readers that now differ get their own. */
  const written = new Map<string, NewTensor>();
  for (const { slot, value } of slots) {
    const first = written.get(slot.initializer);
    if (!first) {
      written.set(slot.initializer, value);
      continue;
    }
    if (sameTensor(first, value)) continue;
    // An initializer shared through an Identity alias that only this node reads: the alias becomes an initializer.
    const alias = slot.name !== slot.initializer ? producers.get(slot.name) : undefined;
    if (alias !== undefined && onnxGraph.nodes[alias]!.opType === 'Identity' && consumers.get(slot.name) === 1 && !graphOutputs.has(slot.name)) {
      nodeBytes.set(alias, null);
      addedInits.push(newInitializer(slot.name, value));
      continue;
    }
    const name = uniqueName(slot.name, taken);
    addedInits.push(newInitializer(name, value));
    editOf(slot.node).inputs.set(slot.input, name);
  }
  for (const tensor of onnxGraph.initializers) {
    const next = written.get(tensor.name);
    if (next) {
      const before = await floatValues(tensor, source.external, source.file);
      if (!(JSON.stringify(next.dims) === JSON.stringify(tensor.dims) && sameValues(before, next.values))) {
        initBytes.set(tensor, bytesField(F.graph.initializer, withFloatValues(tensor, next.dims, next.values)));
        continue;
      }
    }
    if (isExternal(tensor)) initBytes.set(tensor, bytesField(F.graph.initializer, await embedded(tensor, source.external)));
  }

  // Flatten sizes written into shape constants follow the narrowed map.
  const constantNodes = new Map<string, number>();
  onnxGraph.nodes.forEach((node, i) => {
    if (node.opType === 'Constant' && node.outputs[0]) constantNodes.set(node.outputs[0], i);
  });
  for (const constant of source.graph.flattenConstants) {
    const size = currentSize(model, { layer: constant.layer, layout: 'flat', shape: [] });
    if (size === undefined || size === constant.values[1]) continue;
    const values = [constant.values[0]!, size];
    const init = byName.get(constant.tensor);
    if (init) initBytes.set(init, bytesField(F.graph.initializer, withInt64Values(init, values)));
    const index = constantNodes.get(constant.tensor);
    if (index !== undefined) {
      const node = onnxGraph.nodes[index]!;
      const body = rewriteMessage(node.msg, (field) => {
        if (field.no !== F.node.attribute) return undefined;
        const a = parseMessage(payload(node.msg, field));
        const t = submessages(a, F.attr.t)[0];
        if (!t) return undefined;
        const tensor = { name: '', dims: [values.length], dataType: 7, msg: t };
        return bytesField(F.node.attribute, rewriteMessage(a, (f) => (f.no === F.attr.t ? bytesField(F.attr.t, withInt64Values(tensor, values)) : undefined)));
      });
      nodeBytes.set(index, bytesField(F.graph.node, body));
    }
  }

  // Depthwise groups follow their channels; layers that gained a bias get an initializer and an input.
  for (const [layer, origin] of source.graph.origins) {
    if (origin.kind === 'bn') continue;
    const node = onnxGraph.nodes[origin.node]!;
    if (origin.kind === 'conv' && origin.depthwise) {
      const [, , channels] = model.getLayer(layer).getWeights()[0]!.shape as number[];
      editOf(origin.node).group = channels!;
    }
    const bias = addedBias.get(layer);
    if (bias) {
      if (origin.kind === 'dense' && origin.matmul) throw new EngineFailure('unsupported', `layer "${layer}" (a MatMul without bias) would need a bias to hold a removed channel's constant`, file);
      if (node.inputs.length !== 2) throw new EngineFailure('unsupported', `layer "${layer}" would need a bias, and its node has ${node.inputs.length} inputs`, file);
      const name = uniqueName(`${origin.weight.name.replace(/\.weight$/, '')}.bias`, taken);
      addedInits.push(newInitializer(name, bias));
      editOf(origin.node).append = name;
    }
  }
  for (const [index, edit] of edits) {
    const rewritten = rewriteNode(onnxGraph.nodes[index]!, edit);
    if (rewritten) nodeBytes.set(index, rewritten);
  }

  // value_info shapes of narrowed tensors (the graph input and output keep theirs).
  const infoBytes = new Map<OnnxValueInfo, Uint8Array | null>();
  const narrowed = onnxGraph.initializers.some((t) => {
    const next = written.get(t.name);
    return next !== undefined && JSON.stringify(next.dims) !== JSON.stringify(t.dims);
  });
  for (const info of onnxGraph.valueInfo) {
    // Some exporters describe the initializers in value_info too: they take the new dims.
    const init = written.get(info.name);
    if (init && info.shape && info.shape.length === init.dims.length && info.shape.some((d, i) => d !== init.dims[i])) {
      infoBytes.set(info, withDims(info, new Map(init.dims.map((d, i) => [i, d]))));
      continue;
    }
    const place = source.graph.tensors.get(info.name);
    // A map or vector this reader does not place (inside a fused pattern) may have narrowed: after
    // structured removal its shape is dropped rather than left contradicting the graph.
    if (!place && narrowed && !init && info.shape && info.shape.length >= 2) infoBytes.set(info, null);
    if (!place || !info.shape || info.shape.length < 2) continue;
    const size = currentSize(model, place);
    if (size === undefined || size === place.shape[0] || info.shape[1] !== place.shape[0]) continue;
    infoBytes.set(info, withDims(info, new Map([[1, size]])));
  }

  const inits = new Map(onnxGraph.initializers.map((t, i) => [i, t]));
  const infos = new Map(onnxGraph.valueInfo.map((v, i) => [i, v]));
  const counters = { init: 0, node: 0, info: 0 };
  const graphBytes = rewriteMessage(
    onnxGraph.msg,
    (field) => {
      if (field.no === F.graph.initializer) return initBytes.get(inits.get(counters.init++)!);
      if (field.no === F.graph.node) return nodeBytes.get(counters.node++);
      if (field.no === F.graph.valueInfo) return infoBytes.get(infos.get(counters.info++)!);
      return undefined;
    },
    addedInits,
  );
  return rewriteMessage(source.model.msg, (field) => (field.no === F.model.graph ? bytesField(F.model.graph, graphBytes) : undefined));
}

export async function saveOnnx(model: tf.LayersModel, file: string, options: SaveOptions = {}): Promise<string[]> {
  const source = options.source?.source;
  const bytes = isOnnxSource(source) ? await rewriteOnnx(model, source, file) : exportOnnx(model, file);
  // Protobuf messages stop at 2 GiB; larger models need external data, which this writer does not produce.
  if (bytes.length > 2 ** 31 - 1) throw new EngineFailure('too-large', `the ONNX file would take ${bytes.length} bytes, over protobuf's 2 GiB limit`, file);
  return writeFilesAtomically([{ path: path.resolve(file), data: bytes }], options.protectedFiles);
}
