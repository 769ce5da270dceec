// Seeded mutations of valid files: bit flips, truncation, byte insertion, and (for JSON) field
// mutations. The same seed gives the same inputs, so a failure found once can be replayed.

/** The engine's seeded generator (mulberry32): the same seed gives the same mutations. */
export { mulberry32 as generator } from '../../src/engine/core/random';

export type MutationKind = 'bit-flip' | 'truncate' | 'insert' | 'json-field';

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

export function mutateBytes(bytes: Uint8Array, kind: Exclude<MutationKind, 'json-field'>, random: () => number): Uint8Array {
  const at = (): number => Math.floor(random() * Math.max(1, bytes.length));
  if (kind === 'truncate') return bytes.slice(0, at());
  if (kind === 'insert') {
    const where = at();
    const extra = Uint8Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256));
    return new Uint8Array([...bytes.subarray(0, where), ...extra, ...bytes.subarray(where)]);
  }
  const out = new Uint8Array(bytes);
  // Most damage is in headers: bias half of the flips into the first 512 bytes.
  const flips = 1 + Math.floor(random() * 8);
  for (let i = 0; i < flips && out.length > 0; i++) {
    const position = random() < 0.5 ? Math.floor(random() * Math.min(512, out.length)) : at();
    out[position]! ^= 1 << Math.floor(random() * 8);
  }
  return out;
}

const ODD_VALUES: unknown[] = [null, -1, 0, 1e12, 2 ** 53, -(2 ** 31), 'x', '', [], {}, [1e9, 1e9], true, 'float64', '../../x', { class_name: 'Lambda' }];

/** Replaces, deletes or duplicates one randomly chosen field anywhere in the JSON document. */
export function mutateJson(text: string, random: () => number): string {
  const doc = JSON.parse(text) as unknown;
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach((v, i) => (slots.push({ parent: value, key: i }), walk(v)));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        slots.push({ parent: value as Record<string, unknown>, key: k });
        walk(v);
      }
    }
  };
  walk(doc);
  if (slots.length === 0) return text;
  const slot = pick(random, slots);
  const action = random();
  if (action < 0.2 && !Array.isArray(slot.parent)) delete (slot.parent as Record<string, unknown>)[slot.key as string];
  else if (action < 0.3 && Array.isArray(slot.parent)) slot.parent.push(structuredClone(slot.parent[slot.key as number]));
  else (slot.parent as Record<string | number, unknown>)[slot.key] = structuredClone(pick(random, ODD_VALUES));
  return JSON.stringify(doc);
}
