/** Longest `return_to` kept; an OAuth authorize URL with its parameters fits comfortably. */
export const RETURN_TO_MAX_LENGTH = 4096;

/**
 * A local path to send the browser to after login, or `fallback`. Only `/path` forms are accepted:
 * not `//host`, not `/\host` (browsers treat `\` as `/`), no scheme, no control characters: no open
 * redirect is possible.
 */
export function safeReturnTo(value: string | null | undefined, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > RETURN_TO_MAX_LENGTH) return fallback;
  if (!value.startsWith("/")) return fallback;
  const second = value[1];
  if (second === "/" || second === "\\") return fallback;
  // Browsers drop tab/newline characters from URLs, which could turn "/\t/evil" into "//evil".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  // A final check with the URL parser: the path must stay on our origin.
  const base = "http://gateway.invalid";
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return fallback;
  }
  if (parsed.origin !== base) return fallback;
  return value;
}
