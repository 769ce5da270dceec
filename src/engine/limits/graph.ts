// Structural checks on a Functional model's layer graph before TensorFlow.js builds it: tfjs
// loops forever (synchronously, so not even a cancel gets through) on an inbound node naming a
// missing layer or on a cycle. Both are refused here with the layers named.
import { EngineFailure } from '../jobs/context';

type Json = Record<string, unknown>;

const CONTAINERS = new Set(['Functional', 'Model', 'Sequential']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names of the layers one layer's inbound nodes read from (Keras 2 list form, as tfjs reads). */
function inboundNames(layer: Json): string[] {
  const names: string[] = [];
  const nodes = Array.isArray(layer['inbound_nodes']) ? (layer['inbound_nodes'] as unknown[]) : [];
  for (const node of nodes) {
    if (!Array.isArray(node)) continue;
    for (const ref of node) {
      if (Array.isArray(ref) && typeof ref[0] === 'string') names.push(ref[0]);
    }
  }
  return names;
}

function endpointNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  if (typeof value[0] === 'string') return [value[0]];
  return value.flatMap((v) => (Array.isArray(v) && typeof v[0] === 'string' ? [v[0]] : []));
}

/** Throws 'bad-model' for dangling references and cycles in any Functional graph of `model`. */
export function assertGraphWellFormed(model: unknown, file: string, depth = 0): void {
  if (!isObject(model) || depth > 64) return;
  const cls = model['class_name'];
  const config = model['config'];
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config['layers']) ? (config['layers'] as unknown[]) : [];
  for (const layer of layers) {
    if (isObject(layer) && CONTAINERS.has(String(layer['class_name']))) assertGraphWellFormed(layer, file, depth + 1);
  }
  if (cls !== 'Functional' && cls !== 'Model') return;
  const byName = new Map<string, string[]>();
  for (const layer of layers) {
    if (!isObject(layer)) continue;
    const name = String(layer['name'] ?? (isObject(layer['config']) ? layer['config']['name'] : ''));
    byName.set(name, inboundNames(layer));
  }
  for (const [name, inputs] of byName) {
    const missing = inputs.find((input) => !byName.has(input));
    if (missing !== undefined) {
      throw new EngineFailure('bad-model', `layer "${name}" takes its input from "${missing}", which the model does not have`, file);
    }
  }
  const cfg = isObject(config) ? config : {};
  for (const key of ['input_layers', 'output_layers']) {
    const missing = endpointNames(cfg[key]).find((n) => !byName.has(n));
    if (missing !== undefined) throw new EngineFailure('bad-model', `${key} names the layer "${missing}", which the model does not have`, file);
  }
  // Depth-first search with colours; the stack holds the path for the message.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(' → ');
      throw new EngineFailure('bad-model', `the layer graph has a cycle (${cycle}), so it is not a model`, file);
    }
    state.set(name, 'open');
    stack.push(name);
    for (const input of byName.get(name) ?? []) visit(input);
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of byName.keys()) visit(name);
}
