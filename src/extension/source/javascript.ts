// TensorFlow.js layer constructors and model-saving paths in a JavaScript / TypeScript syntax tree.
// Constructors: `tf.layers.conv2d({...})` (any `<x>.layers.<factory>(...)`, so `layers.dense` from
// `import { layers }` too). Saves: `model.save('file://./out')`, `model.save(tf.io.fileSystem('...'))`.
import type { Node, Tree } from 'web-tree-sitter';
import type { LayerCall, NameArgument } from './naming';
import type { CodeFacts } from './python';
import { TFJS_LAYER_FACTORIES } from './tfjsFactories';

const LOOPS = new Set(['for_statement', 'for_in_statement', 'while_statement', 'do_statement', 'class_body']);
const FUNCTIONS = new Set(['arrow_function', 'function_expression', 'function']);

export function readTfjsCode(tree: Tree): CodeFacts {
  const calls: LayerCall[] = [];
  const savePaths: string[] = [];
  for (const call of tree.rootNode.descendantsOfType('call_expression')) {
    const callee = call?.childForFieldName('function');
    if (!call || callee?.type !== 'member_expression') continue;
    const property = callee.childForFieldName('property')?.text ?? '';
    const owner = callee.childForFieldName('object');
    const ownerName = owner?.type === 'member_expression' ? owner.childForFieldName('property')?.text : owner?.text;
    const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => a !== null);
    const className = Object.hasOwn(TFJS_LAYER_FACTORIES, property) ? TFJS_LAYER_FACTORIES[property] : undefined;
    if (ownerName === 'layers' && className) {
      calls.push({ dialect: 'tfjs', className, name: nameArgument(args[0]), repeated: insideRepetition(call), start: call.startIndex, end: call.endIndex });
    } else if (property === 'save') {
      for (const arg of args) savePaths.push(...stringsIn(arg));
    }
  }
  return { calls, savePaths };
}

/** A string or substitution-free template literal's text. */
function stringLiteral(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string' && node?.type !== 'template_string') return undefined;
  if (node.namedChildren.some((c) => c?.type === 'template_substitution')) return undefined;
  // The text between the quotes: escape sequences stay as written (paths and names rarely have any).
  return node.text.slice(1, -1);
}

/** The literal paths of a save argument: the argument itself, or the arguments of a call in it (`tf.io.fileSystem('...')`). */
function stringsIn(node: Node): string[] {
  const literal = stringLiteral(node);
  if (literal !== undefined) return [literal];
  if (node.type !== 'call_expression') return [];
  return (node.childForFieldName('arguments')?.namedChildren ?? []).flatMap((a) => (a ? stringsIn(a) : []));
}

function nameArgument(config: Node | undefined): NameArgument {
  if (!config) return { kind: 'none' };
  // A config built elsewhere (`tf.layers.dense(config)`) may carry a name.
  if (config.type !== 'object') return { kind: 'computed' };
  let spread = false;
  for (const entry of config.namedChildren) {
    if (entry?.type === 'spread_element') spread = true;
    if (entry?.type === 'shorthand_property_identifier' && entry.text === 'name') return { kind: 'computed' };
    if (entry?.type !== 'pair') continue;
    const key = entry.childForFieldName('key');
    const keyText = key?.type === 'property_identifier' ? key.text : stringLiteral(key);
    if (keyText !== 'name') continue;
    const value = stringLiteral(entry.childForFieldName('value'));
    return value === undefined ? { kind: 'computed' } : { kind: 'literal', value };
  }
  // `{ ...defaults }` may carry a name.
  return spread ? { kind: 'computed' } : { kind: 'none' };
}

/** In a loop or class body, or in a callback (`[32, 64].forEach((f) => ...)`): it may run any number of times. */
function insideRepetition(node: Node): boolean {
  for (let up = node.parent; up; up = up.parent) {
    if (LOOPS.has(up.type)) return true;
    if (FUNCTIONS.has(up.type) && up.parent?.type === 'arguments') return true;
  }
  return false;
}
