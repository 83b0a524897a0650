/**
 * Command lines, parsed by node:util's parseArgs (strict): an unknown option, an option without its value, or an
 * option where a value is expected (`--report --quiet`) is a UsageError (exit 2), never a file named `--quiet`.
 * Each command declares its options in a table (name, value, help line, group), from which the help is written:
 * a new option, task or input kind is a new row.
 */
import { parseArgs } from 'node:util';

/** A bad command line: exit code 2 with a message and the command's usage. */
export class UsageError extends Error {
  constructor(message: string, readonly usage = '') {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's placeholder in the help (string options). */
  value?: string;
  help: string;
  group: string;
  short?: string;
  /** May be given more than once (the values are collected; each may also be a comma-separated list). */
  multiple?: boolean;
}

export type OptionTable = Record<string, OptionSpec>;

export type Values = Record<string, string | boolean | string[] | undefined>;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The command's help: usage, then the options by group. */
export function helpText(usage: string, table: OptionTable): string {
  const groups = new Map<string, string[]>();
  for (const [name, o] of Object.entries(table)) {
    const flag = `--${name}${o.short ? `, -${o.short}` : ''}${o.type === 'string' ? ` ${o.value ?? 'X'}` : ''}`;
    const line = flag.length <= 26 ? `  ${flag.padEnd(26)} ${o.help}` : `  ${flag}\n  ${''.padEnd(26)} ${o.help}`;
    groups.set(o.group, [...(groups.get(o.group) ?? []), line]);
  }
  return `${usage}\n${[...groups].map(([g, lines]) => `\n${g}:\n${lines.join('\n')}\n`).join('')}`;
}

/**
 * Parses `argv` against the table. A negative number after a string option is its value (`--ignore-index -1`);
 * anything else starting with a dash there is an error.
 */
export function parse(argv: string[], table: OptionTable, usage: string): { values: Values; positionals: string[] } {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const spec = a.startsWith('--') && !a.includes('=') ? table[a.slice(2)] : undefined;
    if (spec?.type === 'string' && /^-(\d|\.\d)/.test(argv[i + 1] ?? '')) args.push(`${a}=${argv[++i]}`);
    else args.push(a);
  }
  const options = Object.fromEntries(Object.entries(table).map(([k, o]) => [k, {
    type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple === true ? { multiple: true } : {}),
  }]));
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    for (const [k, o] of Object.entries(table)) {
      const v = values[k];
      if (o.multiple && Array.isArray(v)) values[k] = v.flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== '');
    }
    return { values: values as Values, positionals };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = (e as Error).message;
    const option = /'(?:-\w, )?(--?[^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = option.replace(/^-+/, '').replace(/=.*$/, '');
      const near = Object.keys(table).map((k) => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1])[0];
      throw new UsageError(`unknown option ${option}${near !== undefined && near[1] <= 2 ? ` (did you mean --${near[0]}?)` : ''}`, usage);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/ambiguous/.test(message)) {
        const at = args.indexOf(option);
        throw new UsageError(`${option} needs a value, got the option ${args[at + 1]} (for a value starting with a dash write ${option}=VALUE)`, usage);
      }
      if (/missing/.test(message)) throw new UsageError(`${option} needs a value`, usage);
      throw new UsageError(`${option} takes no value`, usage);
    }
    throw new UsageError(message, usage);
  }
}

/** Readers of option values: each a UsageError naming the option when the value is wrong. */
export const read = {
  integer(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (v === undefined) return undefined;
    const s = String(v).trim();
    const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` in [${min}, ${max}]`}, got ${JSON.stringify(s)}`);
    }
    return n;
  },
  number(v: unknown, name: string, ok: (n: number) => boolean, what: string): number | undefined {
    if (v === undefined) return undefined;
    const s = String(v).trim();
    const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
    if (!ok(n)) throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(s)}`);
    return n;
  },
  choice<T extends string>(v: unknown, name: string, choices: readonly T[]): T | undefined {
    if (v === undefined) return undefined;
    if (!(choices as readonly string[]).includes(String(v))) {
      throw new UsageError(`--${name} must be ${choices.slice(0, -1).join(', ')}${choices.length > 1 ? ' or ' : ''}${choices.at(-1)}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  },
  list(v: unknown): string[] | undefined {
    return v === undefined ? undefined : (v as string[]);
  },
};
