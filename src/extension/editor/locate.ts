// Where layers sit in text: layer entries of a model.json / Keras config.json, and source lines
// that name a layer (`name='conv3'`, `name: "conv3"`). Pure (offsets and line numbers only),
// so the CodeLens, hover and panel→editor reveal share it and it is unit-tested in Node.
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

export interface SourceMention {
  name: string;
  line: number;
  character: number;
}

const NAME_ARGUMENT = /\bname\s*[=:]\s*(['"`])([^'"`\n]{1,200})\1/g;

/** Lines of Python / JS / TS that give a known layer its name. */
export function locateSourceLayerNames(text: string, layerNames: ReadonlySet<string>): SourceMention[] {
  const mentions: SourceMention[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, line) => {
    NAME_ARGUMENT.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = NAME_ARGUMENT.exec(lineText)) !== null) {
      if (layerNames.has(m[2])) mentions.push({ name: m[2], line, character: m.index });
    }
  });
  return mentions;
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
