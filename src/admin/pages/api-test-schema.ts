/**
 * The API test page's form, generated from a tool's input schema (JSON Schema as the backend lists
 * it, so anything may be in it), and the reading of that form back into the call's arguments.
 *
 * Only the schema's top-level properties become fields: a string (a select when it has a string
 * `enum`), a number or integer, a boolean (a checkbox). Everything else — objects, arrays, unions,
 * `$ref`, no type at all — is one JSON text area per argument, so nesting never grows the form
 * (its depth is one by construction). A tool with more properties than ADMIN_API_TEST_MAX_FIELDS,
 * or whose schema names no properties, gets a single JSON text area for all its arguments.
 */

export type FieldKind = "string" | "enum" | "number" | "integer" | "boolean" | "json";

export interface ToolField {
  /** The argument's name (the property name in the schema). */
  name: string;
  kind: FieldKind;
  required: boolean;
  /** The schema's `title` and `description`, shown as text. */
  title: string;
  description: string;
  /** For `enum`: the allowed values. */
  options: string[];
  /** For `json`: what the value must be (an object or an array), when the schema says so. */
  jsonType?: "object" | "array";
  /** The form's initial value (from the schema's `default`). */
  initial: string;
}

export type ToolForm =
  | { mode: "fields"; fields: ToolField[] }
  /** One text area named `ALL_ARGUMENTS` holding the whole arguments object. */
  | { mode: "json"; reason: string };

/** Form field name of an argument (prefixed: an argument may be named `server`, `tool` or `_csrf`). */
export const fieldName = (argument: string) => `arg.${argument}`;
/** Form field name of the single text area of a tool called with JSON arguments. */
export const ALL_ARGUMENTS = "arguments";

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const text = (value: unknown) => (typeof value === "string" ? value : "");

/** The one type a property declares (`["string", "null"]` counts as string), or undefined. */
function declaredType(schema: Json): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) {
    const named = type.filter((one): one is string => typeof one === "string" && one !== "null");
    return named.length === 1 ? named[0] : undefined;
  }
  return undefined;
}

function initialValue(schema: Json): string {
  const value = schema.default;
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

function fieldOf(name: string, schema: unknown, required: boolean): ToolField {
  const base = { name, required, options: [] as string[] };
  if (!isRecord(schema)) {
    return { ...base, kind: "json", title: "", description: "", initial: "" };
  }
  const described = { ...base, title: text(schema.title), description: text(schema.description) };
  const type = declaredType(schema);
  const initial = initialValue(schema);
  const choices = schema.enum;
  if (Array.isArray(choices) && choices.length > 0 && (type === "string" || type === undefined)) {
    if (choices.every((one): one is string => typeof one === "string")) {
      return { ...described, kind: "enum", options: choices, initial };
    }
    return { ...described, kind: "json", initial };
  }
  if (type === "string" || type === "number" || type === "integer" || type === "boolean") {
    return { ...described, kind: type, initial };
  }
  const jsonType = type === "object" || type === "array" ? type : undefined;
  return { ...described, kind: "json", jsonType, initial };
}

/** The form of a tool's input schema, with at most `maxFields` fields. */
export function toolForm(inputSchema: unknown, maxFields: number): ToolForm {
  if (!isRecord(inputSchema) || !isRecord(inputSchema.properties)) {
    return { mode: "json", reason: "The tool's input schema names no arguments." };
  }
  const names = Object.keys(inputSchema.properties);
  if (names.length === 0) return { mode: "fields", fields: [] };
  if (names.length > maxFields) {
    return {
      mode: "json",
      reason: `The tool has ${names.length} arguments, more than the ${maxFields} fields this page generates (ADMIN_API_TEST_MAX_FIELDS).`,
    };
  }
  const required = new Set(
    Array.isArray(inputSchema.required) ? inputSchema.required.filter((one) => typeof one === "string") : [],
  );
  const properties = inputSchema.properties;
  return { mode: "fields", fields: names.map((name) => fieldOf(name, properties[name], required.has(name))) };
}

/** The form's values before anything was posted: each field's default. */
export function initialValues(form: ToolForm): Record<string, string> {
  if (form.mode === "json") return { [ALL_ARGUMENTS]: "{}" };
  const values: Record<string, string> = {};
  for (const field of form.fields) {
    if (field.kind === "boolean") {
      if (field.initial === "true") values[fieldName(field.name)] = "on";
    } else values[fieldName(field.name)] = field.initial;
  }
  return values;
}

export type ReadArguments =
  | { ok: true; arguments: Json }
  /** Form field name → what is wrong with its value. */
  | { ok: false; errors: Record<string, string> };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

type Parsed = { value: unknown } | { error: string } | undefined;

function parseJson(raw: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(raw) };
  } catch (error) {
    return { error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** One field's value: undefined when the argument is left out. */
function readField(field: ToolField, raw: string | undefined): Parsed {
  if (field.kind === "boolean") {
    // An unchecked box sends nothing: false for a required argument, left out otherwise.
    if (raw !== undefined && raw !== "") return { value: true };
    return field.required ? { value: false } : undefined;
  }
  const value = raw ?? "";
  if (field.kind === "string") {
    // A required string may be empty on purpose; an optional empty one is left out.
    return value === "" && !field.required ? undefined : { value };
  }
  if (value.trim() === "") return field.required ? { error: "Required by the tool's schema." } : undefined;
  if (field.kind === "enum") {
    return field.options.includes(value) ? { value } : { error: "Choose one of the listed values." };
  }
  if (field.kind === "number" || field.kind === "integer") {
    const trimmed = value.trim();
    const number = Number(trimmed);
    if (!NUMBER.test(trimmed) || !Number.isFinite(number)) return { error: "Not a number." };
    if (field.kind === "integer" && !Number.isInteger(number)) return { error: "Not a whole number." };
    return { value: number };
  }
  const parsed = parseJson(value);
  if ("error" in parsed) return parsed;
  if (field.jsonType === "object" && !isRecord(parsed.value)) return { error: "Expected a JSON object." };
  if (field.jsonType === "array" && !Array.isArray(parsed.value)) return { error: "Expected a JSON array." };
  return parsed;
}

/** The call's arguments from the posted form, or each field's problem (then nothing is called). */
export function readArguments(form: ToolForm, posted: Record<string, string>): ReadArguments {
  if (form.mode === "json") {
    const raw = posted[ALL_ARGUMENTS] ?? "";
    if (raw.trim() === "") return { ok: true, arguments: {} };
    const parsed = parseJson(raw);
    if ("error" in parsed) return { ok: false, errors: { [ALL_ARGUMENTS]: parsed.error } };
    if (!isRecord(parsed.value)) {
      return { ok: false, errors: { [ALL_ARGUMENTS]: "The arguments must be a JSON object." } };
    }
    return { ok: true, arguments: parsed.value };
  }
  // Entries, not assignment: an argument may be named `__proto__`.
  const args: [string, unknown][] = [];
  const errors: Record<string, string> = {};
  for (const field of form.fields) {
    const name = fieldName(field.name);
    const parsed = readField(field, posted[name]);
    if (parsed === undefined) continue;
    if ("error" in parsed) errors[name] = parsed.error;
    else args.push([field.name, parsed.value]);
  }
  return Object.keys(errors).length > 0
    ? { ok: false, errors }
    : { ok: true, arguments: Object.fromEntries(args) };
}
