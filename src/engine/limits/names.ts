// Names TensorFlow.js accepts for weights. tfjs names each weight "<model>/<layer>/<weight>" and
// throws on a name outside [A-Za-z0-9][-A-Za-z0-9._/]* only after it has allocated the weight's
// initial value, which then leaks; so such names are refused before tfjs builds anything. Only
// names that become weight names are checked: the models' and those of layers that declare
// initializers (every layer with weights does), so an odd name on a pooling layer still loads.
import { EngineFailure } from '../core/errors';

type Json = Record<string, unknown>;

const TFJS_TENSOR_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;
const CONTAINERS = new Set(['Sequential', 'Functional', 'Model']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuse(what: string, name: string, file: string): never {
  throw new EngineFailure(
    'unsupported',
    `${what} ${JSON.stringify(name).slice(0, 80)} cannot name TensorFlow.js weights (letters, digits, "-", ".", "_", "/" only, starting with a letter or digit)`,
    file,
  );
}

/** Throws 'unsupported' for a model or weighted layer name tfjs would reject (and leak on). */
export function assertWeightNamesValid(model: unknown, file: string, depth = 0): void {
  if (!isObject(model) || depth > 64) return;
  const config = model['config'];
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config['layers']) ? (config['layers'] as unknown[]) : [];
  const modelName = isObject(config) ? config['name'] : undefined;
  let weighted = false;
  for (const layer of layers) {
    if (!isObject(layer)) continue;
    if (CONTAINERS.has(String(layer['class_name']))) {
      assertWeightNamesValid(layer, file, depth + 1);
      continue;
    }
    const layerConfig = isObject(layer['config']) ? layer['config'] : {};
    if (!Object.keys(layerConfig).some((key) => key.endsWith('_initializer'))) continue;
    weighted = true;
    const name = layerConfig['name'];
    if (typeof name === 'string' && !TFJS_TENSOR_NAME.test(name)) refuse('the layer name', name, file);
  }
  if (weighted && typeof modelName === 'string' && !TFJS_TENSOR_NAME.test(modelName)) refuse('the model name', modelName, file);
}
