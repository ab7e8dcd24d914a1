/** Readers for the places settings come from: dotenv files and the YAML file with ${VAR} references. */

export class SourceError extends Error {}

/** Parses a dotenv file: KEY=VALUE lines, optional `export `, quotes, # comments. */
export function parseDotenv(text: string, fileName: string): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new SourceError(`${fileName}:${index + 1}: expected KEY=VALUE`);
    const key = match[1] as string;
    let value = match[2] as string;
    if (value.startsWith('"')) {
      const end = value.lastIndexOf('"');
      if (end === 0) throw new SourceError(`${fileName}:${index + 1}: unterminated double quote`);
      value = value.slice(1, end).replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    } else if (value.startsWith("'")) {
      const end = value.lastIndexOf("'");
      if (end === 0) throw new SourceError(`${fileName}:${index + 1}: unterminated single quote`);
      value = value.slice(1, end);
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    values.set(key, value);
  });
  return values;
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree.
 * Returns the names of variables that are referenced without a value and without a default.
 */
export function substituteVariables(
  node: unknown,
  lookup: (name: string) => string | undefined,
): {
  value: unknown;
  missing: string[];
} {
  const missing: string[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
        const found = lookup(name);
        if (found !== undefined && found !== "") return found;
        if (fallback !== undefined) return fallback;
        missing.push(name);
        return "";
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, child]) => [k, walk(child)]));
    }
    return v;
  };
  return { value: walk(node), missing: [...new Set(missing)] };
}

export function parseYaml(text: string, fileName: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (error) {
    throw new SourceError(`${fileName}: not valid YAML (${(error as Error).message})`);
  }
}
