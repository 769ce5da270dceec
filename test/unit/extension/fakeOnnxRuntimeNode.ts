// A stand-in for onnxruntime-node (115 MB; the installer's unit tests must not download it): a
// package whose InferenceSession decodes the model's protobuf and runs it only when it is the
// installer's smoke-test model — one Add node, x + y = z over float[3], IR 7, opset 13 — so the
// smoke test passes only with well-formed bytes. It writes `loaded-<pid>` beside itself.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type FakeOrtKind = 'working' | 'throws' | 'wrong-sum';

const SESSION = `
function read(bytes) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= bytes.length) throw new Error('truncated protobuf');
      const byte = bytes[at++];
      value += (byte & 127) * 2 ** shift;
      if (byte < 128) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) fields.push({ number, value: varint() });
    else if (wire === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new Error('a field runs past the end');
      fields.push({ number, bytes: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error('unexpected wire type ' + wire);
  }
  return fields;
}
const all = (fields, number) => fields.filter((f) => f.number === number);
const one = (fields, number) => {
  const found = all(fields, number);
  if (found.length !== 1) throw new Error('field ' + number + ' appears ' + found.length + ' times');
  return found[0];
};
const text = (field) => Buffer.from(field.bytes).toString('utf8');
const float3 = (valueInfo) => {
  const fields = read(valueInfo.bytes);
  const tensor = read(one(read(one(fields, 2).bytes), 1).bytes);
  const dims = all(read(one(tensor, 2).bytes), 1).map((d) => one(read(d.bytes), 1).value);
  if (one(tensor, 1).value !== 1 || dims.join() !== '3') throw new Error('not float[3]');
  return text(one(fields, 1));
};
function parse(model) {
  const fields = read(model);
  if (one(fields, 1).value < 3) throw new Error('IR version too old');
  if (one(read(one(fields, 8).bytes), 2).value < 7) throw new Error('opset too old');
  const graph = read(one(fields, 7).bytes);
  const node = read(one(graph, 1).bytes);
  if (text(one(node, 4)) !== 'Add') throw new Error('not an Add node');
  const inputs = all(graph, 11).map(float3);
  const outputs = all(graph, 12).map(float3);
  if (all(node, 1).map(text).join() !== inputs.join() || all(node, 2).map(text).join() !== outputs.join()) throw new Error('node and graph disagree');
  return { inputs, output: outputs[0] };
}
`;

/** Writes <modulesDir>/onnxruntime-node; returns the package folder. */
export function writeFakeOnnxRuntimeNode(modulesDir: string, kind: FakeOrtKind = 'working'): string {
  const folder = path.join(modulesDir, 'onnxruntime-node');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.31.1', main: 'index.js' }));
  const body =
    kind === 'throws'
      ? `throw new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory');`
      : `${SESSION}
class Tensor {
  constructor(type, data, dims) { Object.assign(this, { type, data, dims }); }
}
const InferenceSession = {
  async create(model) {
    if (!(model instanceof Uint8Array)) throw new Error('expected the model bytes');
    const { inputs, output } = parse(model);
    return {
      inputNames: inputs,
      outputNames: [output],
      async run(feeds) {
        const [a, b] = inputs.map((name) => feeds[name].data);
        const sum = Float32Array.from(a, (v, i) => v + b[i] + ${kind === 'wrong-sum' ? 1 : 0});
        return { [output]: new Tensor('float32', sum, [3]) };
      },
    };
  },
};
module.exports = { InferenceSession, Tensor, env: { versions: { node: '1.31.1' } } };`;
  fs.writeFileSync(path.join(folder, 'index.js'), `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'loaded-' + process.pid), '');\n${body}\n`);
  return folder;
}
