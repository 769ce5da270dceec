// Structural checks on a Functional model's layer graph before TensorFlow.js builds it. tfjs's
// Container.fromConfig keeps re-queuing a node until every layer it reads from exists under the
// entry's `name` and has the node index it names; anything that can never become true loops
// forever, synchronously, so not even a cancel gets through. Each such shape is refused here with
// the layer named: a layer entry without a string name, two entries with one name, an entry name
// that differs from its config name, an inbound reference that is not [layer, node, tensor, …], a
// reference to a missing layer or to a node index the layer never gets, and cycles.
import { EngineFailure } from '../core/errors';

type Json = Record<string, unknown>;

const CONTAINERS = new Set(['Functional', 'Model', 'Sequential']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One inbound reference as tfjs reads it: [layer name, node index, tensor index, kwargs?]. */
interface InboundRef {
  layer: string;
  node: number;
}

interface GraphLayer {
  name: string;
  className: string;
  /** The references of each inbound_nodes entry that names at least one input. */
  calls: InboundRef[][];
  /** Node index of the first call: 1 for a nested model (its node 0 is internal), else 0. */
  firstCall: number;
  /** How many inbound nodes tfjs gives the layer once built (what a node index must stay below). */
  nodeCount: number;
}

function endpointNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  if (typeof value[0] === 'string') return [value[0]];
  return value.flatMap((v) => (Array.isArray(v) && typeof v[0] === 'string' ? [v[0]] : []));
}

/** The layer's entry, checked so tfjs's node loop can terminate; throws for what would hang it. */
function graphLayer(layer: unknown, index: number, file: string): GraphLayer {
  const fail = (why: string): never => {
    throw new EngineFailure('bad-model', `the Functional model's layer #${index + 1} ${why}`, file);
  };
  if (!isObject(layer)) return fail('is not an object');
  const className = typeof layer['class_name'] === 'string' ? layer['class_name'] : '(no class_name)';
  const name = layer['name'];
  if (typeof name !== 'string' || name === '') return fail(`(${className}) has no name`);
  const config = layer['config'];
  const configName = isObject(config) ? config['name'] : undefined;
  if (configName !== undefined && configName !== name) {
    return fail(`is named "${name}" but its config names it ${JSON.stringify(configName)}`);
  }
  const nodes = layer['inbound_nodes'] ?? [];
  if (!Array.isArray(nodes)) return fail(`("${name}") has inbound_nodes that are not a list`);
  const calls: InboundRef[][] = [];
  for (const node of nodes) {
    if (!Array.isArray(node)) return fail(`("${name}") has an inbound node that is not a list`);
    const refs: InboundRef[] = [];
    calls.push(refs);
    for (const ref of node) {
      const ok = Array.isArray(ref) && typeof ref[0] === 'string' && Number.isInteger(ref[1]) && (ref[1] as number) >= 0 && Number.isInteger(ref[2]) && (ref[2] as number) >= 0;
      if (!ok) return fail(`("${name}") has an inbound reference ${JSON.stringify(ref)?.slice(0, 80)} that is not [layer, node index, tensor index]`);
      refs.push({ layer: ref[0] as string, node: ref[1] as number });
    }
  }
  // An InputLayer has its one node from construction; a nested model has its internal node 0
  // before the calls recorded in inbound_nodes; any other layer gets one node per entry that
  // names an input (tfjs applies nothing for an empty entry, so it creates no node).
  const own = className === 'InputLayer' || CONTAINERS.has(className) ? 1 : 0;
  const applied = calls.filter((refs) => refs.length > 0);
  return { name, className, calls: applied, firstCall: CONTAINERS.has(className) ? 1 : 0, nodeCount: own + applied.length };
}

/** Throws 'bad-model' for every graph shape that would make tfjs loop forever (see above). */
export function assertGraphWellFormed(model: unknown, file: string, depth = 0): void {
  if (!isObject(model) || depth > 64) return;
  const cls = model['class_name'];
  const config = model['config'];
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config['layers']) ? (config['layers'] as unknown[]) : [];
  for (const layer of layers) {
    if (isObject(layer) && CONTAINERS.has(String(layer['class_name']))) assertGraphWellFormed(layer, file, depth + 1);
  }
  if (cls !== 'Functional' && cls !== 'Model') return;
  const byName = new Map<string, GraphLayer>();
  layers.forEach((entry, index) => {
    const layer = graphLayer(entry, index, file);
    if (byName.has(layer.name)) throw new EngineFailure('bad-model', `two layers are named "${layer.name}"; layer names must be unique`, file);
    byName.set(layer.name, layer);
  });
  for (const layer of byName.values()) {
    for (const ref of layer.calls.flat()) {
      const source = byName.get(ref.layer);
      if (!source) throw new EngineFailure('bad-model', `layer "${layer.name}" takes its input from "${ref.layer}", which the model does not have`, file);
      if (ref.node >= source.nodeCount) {
        throw new EngineFailure(
          'bad-model',
          `layer "${layer.name}" takes its input from node ${ref.node} of "${ref.layer}", which has ${source.nodeCount} node${source.nodeCount === 1 ? '' : 's'}`,
          file,
        );
      }
    }
  }
  const cfg = isObject(config) ? config : {};
  for (const key of ['input_layers', 'output_layers']) {
    const missing = endpointNames(cfg[key]).find((n) => !byName.has(n));
    if (missing !== undefined) throw new EngineFailure('bad-model', `${key} names the layer "${missing}", which the model does not have`, file);
  }
  // Depth-first search over (layer, node) with colours, since a shared layer's second call may
  // read its own first call; the stack holds the path for the message.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (layer: GraphLayer, node: number): void => {
    const key = `${layer.name}#${node}`;
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'open') {
      const path = [...stack.slice(stack.indexOf(key)), key].map((k) => k.replace(/#0$/, ''));
      throw new EngineFailure('bad-model', `the layer graph has a cycle (${path.join(' → ')}), so it is not a model`, file);
    }
    state.set(key, 'open');
    stack.push(key);
    for (const ref of layer.calls[node - layer.firstCall] ?? []) visit(byName.get(ref.layer)!, ref.node);
    stack.pop();
    state.set(key, 'done');
  };
  for (const layer of byName.values()) {
    for (let node = 0; node < layer.nodeCount; node++) visit(layer, node);
  }
}
