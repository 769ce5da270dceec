// The ONNX messages the reader needs (onnx.proto3 field numbers), decoded over the raw protobuf
// fields so the writer can re-emit whatever it does not change.
import {
  fieldFloat,
  fieldInt,
  fieldString,
  fieldsOf,
  firstField,
  intOf,
  parseMessage,
  payload,
  repeatedFloats,
  repeatedInts,
  stringOf,
  submessages,
  type PbMessage,
} from './protobuf';

/** Field numbers of onnx.proto (only those the reader and writer use). */
export const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14, functions: 25 },
  opset: { domain: 1, version: 2 },
  entry: { key: 1, value: 2 },
  graph: { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13, sparseInitializer: 15 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, type: 20 },
  tensor: { dims: 1, dataType: 2, segment: 3, floatData: 4, int32Data: 5, stringData: 6, int64Data: 7, name: 8, rawData: 9, doubleData: 10, uint64Data: 11, docString: 12, externalData: 13, dataLocation: 14 },
  valueInfo: { name: 1, type: 2, docString: 3 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;

/** TensorProto.DataType values. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;

export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

/** AttributeProto.AttributeType values. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  msg: PbMessage;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  /** A subgraph attribute (If/Loop bodies): only its presence matters to the reader. */
  hasGraph: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
  msg: PbMessage;
}

export interface OnnxValueInfo {
  name: string;
  /** Element type (a DataType) when the value info says it; 0 otherwise. */
  elemType: number;
  /** Each dimension: a number, a symbolic name, or null when unknown; undefined when no shape is given. */
  shape?: (number | string | null)[];
  msg: PbMessage;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  /** Sparse initializers: refused by the reader (named). */
  sparseInitializers: number;
  msg: PbMessage;
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  metadata: { key: string; value: string }[];
  graph: OnnxGraph;
  msg: PbMessage;
}

export function decodeTensor(msg: PbMessage): OnnxTensor {
  return { name: stringOf(msg, F.tensor.name), dims: repeatedInts(msg, F.tensor.dims), dataType: intOf(msg, F.tensor.dataType), msg };
}

function decodeAttribute(msg: PbMessage): OnnxAttribute {
  const attr: OnnxAttribute = {
    name: stringOf(msg, F.attr.name),
    type: intOf(msg, F.attr.type),
    floats: repeatedFloats(msg, F.attr.floats),
    ints: repeatedInts(msg, F.attr.ints),
    hasGraph: fieldsOf(msg, F.attr.g).length + fieldsOf(msg, F.attr.graphs).length > 0,
  };
  const f = firstField(msg, F.attr.f);
  if (f) attr.f = fieldFloat(msg, f);
  const i = firstField(msg, F.attr.i);
  if (i) attr.i = fieldInt(msg, i);
  const s = firstField(msg, F.attr.s);
  if (s) attr.s = fieldString(msg, s);
  const t = firstField(msg, F.attr.t);
  if (t) attr.t = decodeTensor(parseMessage(payload(msg, t)));
  return attr;
}

export function decodeNode(msg: PbMessage): OnnxNode {
  const strings = (no: number): string[] => fieldsOf(msg, no).map((f) => fieldString(msg, f));
  return {
    name: stringOf(msg, F.node.name),
    opType: stringOf(msg, F.node.opType),
    domain: stringOf(msg, F.node.domain),
    inputs: strings(F.node.input),
    outputs: strings(F.node.output),
    attributes: new Map(submessages(msg, F.node.attribute).map((a) => decodeAttribute(a)).map((a) => [a.name, a])),
    msg,
  };
}

export function decodeValueInfo(msg: PbMessage): OnnxValueInfo {
  const info: OnnxValueInfo = { name: stringOf(msg, F.valueInfo.name), elemType: 0, msg };
  const type = submessages(msg, F.valueInfo.type)[0];
  const tensorType = type ? submessages(type, F.type.tensorType)[0] : undefined;
  if (!tensorType) return info;
  info.elemType = intOf(tensorType, F.tensorType.elemType);
  const shape = submessages(tensorType, F.tensorType.shape)[0];
  if (shape) {
    info.shape = submessages(shape, F.shape.dim).map((dim) => {
      const value = firstField(dim, F.dim.value);
      if (value) return fieldInt(dim, value);
      const param = firstField(dim, F.dim.param);
      return param ? fieldString(dim, param) : null;
    });
  }
  return info;
}

export function decodeGraph(msg: PbMessage): OnnxGraph {
  return {
    name: stringOf(msg, F.graph.name),
    nodes: submessages(msg, F.graph.node).map(decodeNode),
    initializers: submessages(msg, F.graph.initializer).map(decodeTensor),
    inputs: submessages(msg, F.graph.input).map(decodeValueInfo),
    outputs: submessages(msg, F.graph.output).map(decodeValueInfo),
    valueInfo: submessages(msg, F.graph.valueInfo).map(decodeValueInfo),
    sparseInitializers: fieldsOf(msg, F.graph.sparseInitializer).length,
    msg,
  };
}

/** Decodes a whole ModelProto; throws ProtobufError on malformed bytes. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const msg = parseMessage(bytes);
  const graphMsg = submessages(msg, F.model.graph)[0];
  if (!graphMsg) throw new Error('has no graph (not an ONNX model, or an empty one)');
  return {
    irVersion: intOf(msg, F.model.irVersion),
    opsets: submessages(msg, F.model.opsetImport).map((o) => ({ domain: stringOf(o, F.opset.domain), version: intOf(o, F.opset.version) })),
    producerName: stringOf(msg, F.model.producerName),
    producerVersion: stringOf(msg, F.model.producerVersion),
    metadata: submessages(msg, F.model.metadataProps).map((e) => ({ key: stringOf(e, F.entry.key), value: stringOf(e, F.entry.value) })),
    graph: decodeGraph(graphMsg),
    msg,
  };
}
