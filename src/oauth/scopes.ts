/**
 * The scopes the gateway knows. One scope, `mcp`: use of the MCP endpoint the token is bound to
 * (the audience already says which server). Finer rights come from the policy layer, not scopes.
 */
export const SCOPES_SUPPORTED = ["mcp"] as const;
export const DEFAULT_SCOPE = "mcp";

/** Parses a space-separated scope parameter; absent or empty → the default; unknown → undefined. */
export function parseScope(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === "") return DEFAULT_SCOPE;
  if (value.length > 1000) return undefined;
  const parts = [...new Set(value.split(" ").filter(Boolean))];
  if (!parts.every((s) => (SCOPES_SUPPORTED as readonly string[]).includes(s))) return undefined;
  return parts.sort().join(" ");
}

/** True when every scope of `asked` is in `granted`. */
export function scopeCovers(granted: string, asked: string): boolean {
  const have = new Set(granted.split(" "));
  return asked.split(" ").every((s) => have.has(s));
}
