// Where layers sit in a model.json / Keras config.json: the layer entries, by offset. Pure, so the
// CodeLens, hover and panel→editor reveal share it and it is unit-tested in Node. (Layers in
// Python / JS / TS code are found by tree-sitter: src/extension/source.)
import { member, parseJsonWithOffsets, type JsonNode } from './jsonOffsets';

export interface LayerEntry {
  name: string;
  className: string;
  /** Offset of the layer entry's opening brace. */
  offset: number;
  /** Offset of the layer's name string (inside its config). */
  nameOffset: number;
}

/**
 * Every layer entry in a model topology: objects with `class_name` and a `config.name`, found in
 * any `layers` array (so nested Sequential/Functional models are covered, in source order).
 */
export function locateModelJsonLayers(text: string): LayerEntry[] {
  let root: JsonNode;
  try {
    root = parseJsonWithOffsets(text);
  } catch {
    return [];
  }
  const found: LayerEntry[] = [];
  const visit = (node: JsonNode, inLayersArray: boolean) => {
    if (node.kind === 'object') {
      if (inLayersArray) {
        const className = member(node, 'class_name');
        const name = member(member(node, 'config'), 'name');
        if (className?.kind === 'string' && name?.kind === 'string') found.push({ name: name.value, className: className.value, offset: node.start, nameOffset: name.start });
      }
      for (const e of node.entries) {
        if (e.key === 'weightsManifest' || e.key === 'inbound_nodes') continue;
        visit(e.value, e.key === 'layers' && e.value.kind === 'array');
      }
    } else if (node.kind === 'array') {
      for (const item of node.items) visit(item, inLayersArray);
    }
  };
  visit(root, false);
  return found;
}

/** Line and column of an offset (for turning LayerEntry offsets into editor positions). */
export function offsetToPosition(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, character: offset - lineStart };
}
