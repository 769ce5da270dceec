// A small, strict flag parser: every command declares its flags; anything else is a usage error.

export type FlagKind = 'string' | 'int' | 'number' | 'list' | 'boolean';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  /** Shown in --help after the flag. */
  value?: string;
  help: string;
  /** Booleans: also accept --no-<name>. */
  negatable?: boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  positionals: string[];
  flags: FlagValues;
  help: boolean;
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const positionals: string[] = [];
  const flags: FlagValues = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const negated = name.startsWith('no-') ? byName.get(name.slice(3)) : undefined;
    if (negated?.kind === 'boolean' && negated.negatable) {
      flags[negated.name] = false;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--'))) throw new UsageError(`--${name} needs a value (${spec.value ?? spec.kind})`);
    flags[name] = convert(spec, raw);
  }
  return { positionals, flags, help };
}

function convert(spec: FlagSpec, raw: string): string | number | string[] {
  switch (spec.kind) {
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${spec.name} must be a whole number, not "${raw}"`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${spec.name} must be a number, not "${raw}"`);
      return n;
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw new UsageError(`--${spec.name} needs a comma-separated list`);
      return items;
    }
    default:
      return raw;
  }
}

/** Typed accessors that keep command code free of casts. */
export const get = {
  string: (f: FlagValues, name: string) => f[name] as string | undefined,
  number: (f: FlagValues, name: string) => f[name] as number | undefined,
  list: (f: FlagValues, name: string) => f[name] as string[] | undefined,
  boolean: (f: FlagValues, name: string) => f[name] as boolean | undefined,
};

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

export function helpText(usage: string, summary: string, specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.negatable ? `[no-]${s.name}` : s.name}${s.value ? ` ${s.value}` : ''}`;
    return { left, help: s.help };
  });
  const width = Math.max(0, ...rows.map((r) => r.left.length)) + 2;
  return [`Usage: ${usage}`, '', summary, '', 'Options:', ...rows.map((r) => r.left.padEnd(width) + r.help), '  -h, --help'.padEnd(width) + 'Show this help', ''].join('\n');
}
