import { createHash } from "node:crypto";

export const PINNING_MODES = ["off", "warn", "block-changed"] as const;
export type PinningMode = (typeof PINNING_MODES)[number];

export const PINNED_KINDS = ["tool", "prompt", "resource_template"] as const;
export type PinnedKind = (typeof PINNED_KINDS)[number];

/** The fields of each kind that are pinned: everything the model reads, nothing volatile (`_meta`). */
const PINNED_FIELDS: Record<PinnedKind, readonly string[]> = {
  tool: ["name", "title", "description", "inputSchema", "outputSchema", "annotations"],
  prompt: ["name", "title", "description", "arguments"],
  resource_template: ["name", "title", "uriTemplate", "description", "mimeType", "annotations"],
};

/** One pinned definition: its name, the pinned fields, and their hash. */
export interface PinnedDefinition {
  kind: PinnedKind;
  name: string;
  definition: Record<string, unknown>;
  hash: string;
}

/** The pinned fields of a listed item, or undefined when it has no name. */
export function pinnedDefinition(kind: PinnedKind, item: unknown): PinnedDefinition | undefined {
  if (item === null || typeof item !== "object") return undefined;
  const record = item as Record<string, unknown>;
  if (typeof record.name !== "string") return undefined;
  const definition: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS[kind]) if (record[field] !== undefined) definition[field] = record[field];
  return { kind, name: record.name, definition, hash: hashOf(definition) };
}

/** SHA-256 of the canonical JSON (keys sorted at every depth): the same definition, the same hash. */
export function hashOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
