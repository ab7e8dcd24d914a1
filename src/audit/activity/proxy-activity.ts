import { scanRpcCall } from "./extract.ts";
import type { ActivitySink, McpActivity, UpstreamError } from "./types.ts";

/**
 * What the per-server proxy learns about one request while it serves it, filled in where the
 * proxy learns it; `finish` turns it and the answer into the request's activity row.
 *
 * What a row knows about an answer the backend produced and the gateway passed through unread
 * (the usual case): its status, its size only from Content-Length (null for streamed SSE and
 * chunked answers: the body is never read or counted), and no JSON-RPC error code (an error inside
 * a 200 answer is not seen: outcome "ok"). For answers the gateway produced (its own errors,
 * refusals, the stdio and legacy SSE bridges' error answers) the code and size are read from
 * its own small body, only when the status is an error or the request was refused.
 */
export class ProxyActivity {
  /** The server's name, once the request is known to address an enabled server. */
  server: string | undefined = undefined;
  userId: string | null = null;
  clientId: string | null = null;
  body: string | undefined = undefined;
  /** Refused by the gateway's policy with an answer that is not 401/403 (a tool the user may not call, a server not granted). */
  denied = false;
  /** The answer is the backend's own, passed through unread. */
  passthrough = false;

  constructor(
    readonly at: number,
    readonly started: number,
  ) {}

  /** Marks the request as refused by policy; returns the refusal. */
  refused(response: Response): Response {
    this.denied = true;
    return response;
  }

  /** Records the row of `response` (never throws; reads only a gateway-produced error body). */
  finish(sink: ActivitySink, request: Request, response: Response, scanChars: number, ip: string): void {
    const server = this.server ?? "";
    const latencyMs = performance.now() - this.started;
    const status = response.status;
    const headers = response.headers;
    const { method, target } =
      this.body === undefined
        ? { method: request.method, target: null }
        : scanRpcCall(this.body, scanChars, request.method);
    const declared = headers.get("content-length");
    const row: McpActivity = {
      at: this.at,
      userId: this.userId,
      clientId: this.clientId,
      server,
      endpoint: "server",
      sessionId: request.headers.get("mcp-session-id") ?? headers.get("mcp-session-id"),
      method,
      target,
      outcome: "ok",
      httpStatus: status,
      rpcErrorCode: null,
      latencyMs,
      requestBytes: requestBytes(request, this.body),
      responseBytes: declared === null ? null : Number(declared),
      ip: ip === "unknown" ? null : ip,
    };
    const upstreamError = upstreamErrorOf(status, this.passthrough);
    if (upstreamError !== undefined) row.upstreamError = upstreamError;
    const readable =
      !this.passthrough &&
      (status >= 400 || this.denied) &&
      response.body !== null &&
      headers.get("content-type")?.startsWith("application/json") === true;
    if (!readable) {
      sink.record(withOutcome(row, this));
      return;
    }
    // A gateway-made JSON body of a few dozen bytes: read from a clone, after the answer left.
    void response
      .clone()
      .text()
      .then(
        (text) => {
          row.responseBytes ??= Buffer.byteLength(text);
          row.rpcErrorCode = errorCodeOf(text);
          sink.record(withOutcome(row, this));
        },
        () => sink.record(withOutcome(row, this)),
      );
  }
}

/** 429, 401 and 403 are always the gateway's own on this path (a backend's 401/403 becomes a 502). */
function withOutcome(row: McpActivity, call: { denied: boolean; passthrough: boolean }): McpActivity {
  const status = row.httpStatus;
  row.outcome =
    status === 429 && !call.passthrough
      ? "rate_limited"
      : call.denied || status === 401 || status === 403
        ? "denied"
        : status >= 400 || row.rpcErrorCode !== null
          ? "error"
          : "ok";
  return row;
}

/**
 * 504 and 502 made by the gateway are its upstream timeout and failure (unreachable, refused
 * address, credential unavailable, a redirect or content type it does not pass on); a backend's
 * own 5xx passed through is counted as such.
 */
function upstreamErrorOf(status: number, passthrough: boolean): UpstreamError | undefined {
  if (passthrough) return status >= 500 ? "status_5xx" : undefined;
  if (status === 504) return "timeout";
  if (status === 502) return "failed";
  return undefined;
}

function requestBytes(request: Request, body: string | undefined): number {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (Number.isSafeInteger(n) && n >= 0) return n;
  }
  return body === undefined ? 0 : Buffer.byteLength(body);
}

function errorCodeOf(text: string): number | null {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } } | null;
    const code = parsed?.error?.code;
    return typeof code === "number" && Number.isInteger(code) ? code : null;
  } catch {
    return null;
  }
}
