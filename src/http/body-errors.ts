/**
 * The status a client got when reading its request body failed, for the failures that are the
 * client's doing: 499 when it closed the connection first, 413 when Bun refused a body larger than
 * `maxRequestBodySize` (Bun has answered 413 itself by then). Undefined for any other error, which
 * stays a bug to log.
 */
export function bodyReadFailureStatus(error: unknown, request: Request): 413 | 499 | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "AbortError" && request.signal.aborted) return 499;
  // Bun gives this failure no code or class of its own: its message is all there is.
  if (error.message.includes("maxRequestBodySize")) return 413;
  return undefined;
}
