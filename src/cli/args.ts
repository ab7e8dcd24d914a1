/** A command-line usage error: main prints the message and the usage on stderr and exits 2. */
export class UsageError extends Error {}

export interface FlagSpec {
  /** Flags that take a value, e.g. `port` for `--port N` or `--port=N`. */
  values?: readonly string[];
  /** Flags without a value, e.g. `password-stdin`. */
  switches?: readonly string[];
}

export interface ParsedFlags {
  values: Map<string, string>;
  switches: Set<string>;
  help: boolean;
}

/** Parses `--name value`, `--name=value` and `--switch`; anything else is a usage error. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  let help = false;
  const valueFlags = new Set(spec.values ?? []);
  const switchFlags = new Set(spec.switches ?? []);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument: ${arg}`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (valueFlags.has(name)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else if (switchFlags.has(name) && eq === -1) {
      switches.add(name);
    } else {
      throw new UsageError(`unknown option: --${name}`);
    }
  }
  return { values, switches, help };
}
