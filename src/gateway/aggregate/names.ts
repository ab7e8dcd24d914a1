import { createHash } from "node:crypto";

/** What MCP clients such as Claude and OpenAI accept as a tool name. */
export const MAX_NAME_LENGTH = 64;
const LEGAL_NAME = /^[A-Za-z0-9_.-]+$/;
const HASH_LENGTH = 10;

/**
 * The name a backend's tool (or prompt) has on the aggregated endpoint: `{server}{separator}{tool}`,
 * or, when that is longer than 64 characters or holds a character clients refuse, a readable prefix
 * of it (illegal characters as `_`) plus `_` and a short hash of server and tool. The hash depends
 * on nothing but the two names, so the name is the same after a restart and on every instance.
 */
export function exposedName(server: string, name: string, separator: string): string {
  const full = `${server}${separator}${name}`;
  if (full.length <= MAX_NAME_LENGTH && LEGAL_NAME.test(full)) return full;
  const hash = createHash("sha256").update(`${server}\n${name}`).digest("hex").slice(0, HASH_LENGTH);
  const readable = full.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1);
  return `${readable}_${hash}`;
}
