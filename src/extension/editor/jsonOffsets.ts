// A minimal JSON reader that keeps source offsets: enough to find where each layer entry of a
// model.json / Keras config.json starts, also in one-line files. Pure; tolerant of nothing —
// invalid JSON throws, and the caller simply shows no lenses.

export type JsonNode =
  | { kind: 'object'; start: number; end: number; entries: { key: string; keyStart: number; value: JsonNode }[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'other'; start: number; end: number };

export function parseJsonWithOffsets(text: string): JsonNode {
  let pos = 0;
  const ws = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\n' || text[pos] === '\r' || text[pos] === '\t')) pos++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${pos}`);
  };
  const readString = (): { value: string; start: number; end: number } => {
    const start = pos;
    if (text[pos] !== '"') fail('expected a string');
    let end = pos + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) fail('unterminated string');
    pos = end + 1;
    return { value: JSON.parse(text.slice(start, pos)) as string, start, end: pos };
  };
  const value = (): JsonNode => {
    ws();
    const start = pos;
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries: { key: string; keyStart: number; value: JsonNode }[] = [];
      ws();
      if (text[pos] === '}') return pos++, { kind: 'object', start, end: pos, entries };
      for (;;) {
        ws();
        const key = readString();
        ws();
        if (text[pos++] !== ':') fail('expected ":"');
        entries.push({ key: key.value, keyStart: key.start, value: value() });
        ws();
        const sep = text[pos++];
        if (sep === '}') return { kind: 'object', start, end: pos, entries };
        if (sep !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const items: JsonNode[] = [];
      ws();
      if (text[pos] === ']') return pos++, { kind: 'array', start, end: pos, items };
      for (;;) {
        items.push(value());
        ws();
        const sep = text[pos++];
        if (sep === ']') return { kind: 'array', start, end: pos, items };
        if (sep !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return { kind: 'string', ...readString() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|NaN|-?Infinity)/.exec(text.slice(pos, pos + 64));
    if (!m) fail('unexpected character');
    pos += m![0].length;
    return { kind: 'other', start, end: pos };
  };
  const root = value();
  ws();
  if (pos !== text.length) fail('trailing characters');
  return root;
}

export function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.kind === 'object' ? node.entries.find((e) => e.key === key)?.value : undefined;
}
