import { z } from "zod";

/** One setting: its environment name, its schema (with default), and what it means. */
export interface SettingSpec<S extends z.ZodType = z.ZodType> {
  env: string;
  schema: S;
  doc: string;
  /** The default as a person writes it in `.env`; empty when there is none. */
  defaultText: string;
  /** Never printed in logs or error messages. */
  secret?: boolean;
  /** What kind of value it takes, for forms and the settings API (int, bool and oneOf set it). */
  kind?: SettingKind;
}

export type SettingKind =
  | { type: "int"; min: number; max: number }
  | { type: "bool" }
  | { type: "oneOf"; values: readonly string[] };

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

export function bool(env: string, def: boolean, doc: string): SettingSpec<z.ZodType<boolean>> {
  const schema = z.preprocess(
    (v) => {
      if (typeof v !== "string") return v;
      const s = v.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      return v;
    },
    z.boolean({ error: "expected true or false" }),
  );
  return {
    env,
    schema: schema.default(def) as unknown as z.ZodType<boolean>,
    doc,
    defaultText: String(def),
    kind: { type: "bool" },
  };
}

export function int(
  env: string,
  def: number,
  min: number,
  max: number,
  doc: string,
): SettingSpec<z.ZodType<number>> {
  const schema = z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` }),
  );
  return {
    env,
    schema: schema.default(def) as unknown as z.ZodType<number>,
    doc,
    defaultText: String(def),
    kind: { type: "int", min, max },
  };
}

export function text(
  env: string,
  def: string,
  doc: string,
  refine?: (s: z.ZodString) => z.ZodType<string>,
): SettingSpec<z.ZodType<string>> {
  const base = z.string({ error: "expected text" });
  const schema = refine ? refine(base) : base;
  return { env, schema: schema.default(def) as unknown as z.ZodType<string>, doc, defaultText: def };
}

export function optionalText(
  env: string,
  doc: string,
  opts: { secret?: boolean; refine?: (s: z.ZodString) => z.ZodType<string> } = {},
): SettingSpec<z.ZodType<string | undefined>> {
  const base = z.string({ error: "expected text" });
  const schema = (opts.refine ? opts.refine(base) : base).optional();
  return { env, schema: schema as z.ZodType<string | undefined>, doc, defaultText: "", secret: opts.secret };
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  env: string,
  values: T,
  def: T[number],
  doc: string,
): SettingSpec<z.ZodType<T[number]>> {
  const schema = z.preprocess(
    (v) => (typeof v === "string" ? v.trim() : v),
    z.enum(values, { error: `expected one of ${values.join(", ")}` }),
  );
  return {
    env,
    schema: schema.default(def) as unknown as z.ZodType<T[number]>,
    doc,
    defaultText: def,
    kind: { type: "oneOf", values },
  };
}

/** A comma-separated list in the environment, a list in YAML. */
export function list(env: string, doc: string): SettingSpec<z.ZodType<string[]>> {
  const schema = z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(z.string({ error: "expected a list of text values" }), {
      error: "expected a comma-separated list",
    }),
  );
  return { env, schema: schema.default([]) as unknown as z.ZodType<string[]>, doc, defaultText: "" };
}

/**
 * A comma-separated list of browser origins (`https://app.example.com`, or `*` for any), normalised
 * the way browsers send the Origin header (lower-case host, default port dropped, no trailing slash):
 * an entry that could never match (a path, no scheme) is refused rather than silently ignored.
 */
export function origins(env: string, doc: string): SettingSpec<z.ZodType<string[]>> {
  const entry = z.string().transform((value, ctx) => {
    if (value === "*") return value;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    const bare = url && (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash;
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !bare || url.username) {
      ctx.addIssue({
        code: "custom",
        message: `expected origins like https://app.example.com (scheme and host, no path) or *, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return url.origin;
  });
  const schema = z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(entry, { error: "expected a comma-separated list" }),
  );
  return { env, schema: schema.default([]) as unknown as z.ZodType<string[]>, doc, defaultText: "" };
}
