// Keras layer constructors and model-saving paths in a Python syntax tree (tree-sitter-python).
// Constructors: `keras.layers.X(...)`, `layers.X(...)`, `tf.keras.layers.X(...)`, any alias of
// those from the file's imports, bare `X(...)` imported from a layers module, and `keras.Input`.
// Saves: `model.save(...)`, `save_model(...)`, `tensorflowjs.converters.save_keras_model(...)`.
import type { Node, Tree } from 'web-tree-sitter';
import { KERAS_CLASS_ALIASES, type LayerCall, type NameArgument } from './naming';

export interface CodeFacts {
  calls: LayerCall[];
  /** Path strings given to save calls, as written (relative ones are resolved by savePaths.ts). */
  savePaths: string[];
}

const LAYERS_MODULES = new Set(['keras.layers', 'tensorflow.keras.layers', 'tf.keras.layers', 'tf_keras.layers', 'layers']);
const INPUT_MODULES = new Set(['keras', 'tensorflow.keras', 'tf.keras', 'tf_keras']);
const SAVE_FUNCTIONS = new Set(['save', 'save_model', 'save_keras_model']);
const PATH_KEYWORDS = new Set(['filepath', 'filename', 'path', 'artifacts_dir']);
const REPEATING = new Set(['for_statement', 'while_statement', 'list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression', 'class_definition', 'lambda']);

export function readKerasCode(tree: Tree): CodeFacts {
  const root = tree.rootNode;
  const aliases = importAliases(root);
  const calls: LayerCall[] = [];
  const savePaths: string[] = [];
  for (const call of root.descendantsOfType('call')) {
    if (!call) continue;
    const fn = call.childForFieldName('function');
    const callee = dottedName(fn, aliases);
    const cut = callee?.lastIndexOf('.') ?? -1;
    const args = call.childForFieldName('arguments');
    if (callee && isLayerClass(callee.slice(0, Math.max(cut, 0)), callee.slice(cut + 1))) {
      const last = callee.slice(cut + 1);
      calls.push({ dialect: 'keras', className: KERAS_CLASS_ALIASES[last] ?? last, name: nameArgument(args), repeated: insideRepetition(call), start: call.startIndex, end: call.endIndex });
      continue;
    }
    // `build_model().save(...)` too: the saving method is known by its own name.
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
    if (method && SAVE_FUNCTIONS.has(method) && args?.type === 'argument_list') {
      for (const arg of args.namedChildren) {
        if (!arg) continue;
        const value = arg.type === 'keyword_argument' ? (PATH_KEYWORDS.has(arg.childForFieldName('name')?.text ?? '') ? arg.childForFieldName('value') : null) : arg;
        const found = value ? pathValue(value, aliases) : undefined;
        if (found !== undefined) savePaths.push(found);
      }
    }
  }
  return { calls, savePaths };
}

function isLayerClass(module: string, last: string): boolean {
  if (!/^[A-Z]\w*$/.test(last)) return false;
  return LAYERS_MODULES.has(module) || (last === 'Input' && INPUT_MODULES.has(module));
}

/** Local name → what it stands for, from every import statement: `L` → `keras.layers`, `Conv2D` → `keras.layers.Conv2D`. */
function importAliases(root: Node): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!statement) continue;
    const from = statement.type === 'import_from_statement' ? statement.childForFieldName('module_name') : null;
    if (from && from.type !== 'dotted_name') continue; // relative imports name the project's own modules
    for (const imported of statement.childrenForFieldName('name')) {
      if (!imported) continue;
      const aliased = imported.type === 'aliased_import';
      const target = aliased ? imported.childForFieldName('name')?.text : imported.text;
      if (!target) continue;
      const full = from ? `${from.text}.${target}` : target;
      // `import tensorflow.keras` binds `tensorflow`; `import keras.layers as kl` binds `kl`.
      const local = aliased ? imported.childForFieldName('alias')?.text : from ? target : target.split('.')[0];
      if (local) aliases.set(local, from || aliased ? full : local);
    }
  }
  return aliases;
}

/** `tf.keras.layers.Conv2D` with the first name replaced by what it was imported as; undefined for anything but names and attributes. */
function dottedName(node: Node | null, aliases: Map<string, string>): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return aliases.get(node.text) ?? node.text;
  if (node.type !== 'attribute') return undefined;
  const object = dottedName(node.childForFieldName('object'), aliases);
  const attribute = node.childForFieldName('attribute')?.text;
  return object && attribute ? `${object}.${attribute}` : undefined;
}

/** The text of a plain string literal (no f-string interpolation, no implicit concatenation). */
export function stringLiteral(node: Node | null): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c?.type === 'interpolation')) return undefined;
  return node.namedChildren
    .filter((c): c is Node => c?.type === 'string_content')
    .map((c) => c.text)
    .join('');
}

function nameArgument(args: Node | null): NameArgument {
  if (args?.type !== 'argument_list') return { kind: 'none' };
  for (const arg of args.namedChildren) {
    if (arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'name') {
      const value = stringLiteral(arg.childForFieldName('value'));
      return value === undefined ? { kind: 'computed' } : { kind: 'literal', value };
    }
  }
  // `**config` may carry a name.
  return args.namedChildren.some((a) => a?.type === 'dictionary_splat') ? { kind: 'computed' } : { kind: 'none' };
}

function insideRepetition(node: Node): boolean {
  for (let up = node.parent; up; up = up.parent) if (REPEATING.has(up.type)) return true;
  return false;
}

/**
 * A path expression's value where the code says it: `"m.keras"`, `HERE / "m.keras"`,
 * `os.path.join(HERE, "out", "m.keras")`, `str(...)` / `Path(...)` of those. A leading part the code
 * computes (HERE, `os.path.dirname(__file__)`) is taken as the script's own folder.
 */
function pathValue(node: Node, aliases: Map<string, string>): string | undefined {
  const literal = stringLiteral(node);
  if (literal !== undefined) return literal;
  if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '/') {
    const right = pathValue(node.childForFieldName('right')!, aliases);
    const left = node.childForFieldName('left');
    return right === undefined ? undefined : joinPath((left && pathValue(left, aliases)) ?? '', right);
  }
  if (node.type !== 'call') return undefined;
  const callee = dottedName(node.childForFieldName('function'), aliases);
  const args = (node.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => a !== null);
  if (callee === 'os.path.join') {
    const parts = args.map((a, i) => (i === 0 ? (pathValue(a, aliases) ?? '') : pathValue(a, aliases)));
    return parts.some((p) => p === undefined) ? undefined : parts.reduce<string>((all, p) => joinPath(all, p!), '');
  }
  if ((callee === 'str' || callee === 'pathlib.Path' || callee === 'Path') && args.length === 1) return pathValue(args[0]!, aliases);
  return undefined;
}

function joinPath(base: string, part: string): string {
  return base === '' ? part : `${base.replace(/\/+$/, '')}/${part}`;
}
