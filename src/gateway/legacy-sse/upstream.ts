import { isEventStream } from "../../http/event-stream.ts";
import { type JsonRpcMessage, parseMessage } from "./messages.ts";
import { readSseEvents } from "./sse-reader.ts";

export interface UpstreamLimits {
  /** Time allowed for the backend's SSE stream to open and announce its endpoint, and for each POST. */
  timeoutMs: number;
  /** Longest SSE line accepted from the backend. */
  maxMessageBytes: number;
}

/** Why the bridge could not talk to the backend: the proxy maps it to 502 or 504. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: "unreachable" | "timeout" | "refused",
    message: string,
  ) {
    super(message);
  }
}

/**
 * One connection to a legacy HTTP+SSE backend (MCP 2024-11-05): a long-lived GET stream that first
 * names the endpoint to POST messages to, then carries every message from the server. The endpoint
 * must be on the backend URL's origin, so a backend cannot point the gateway at another host.
 */
export class LegacyUpstream {
  private readonly abort = new AbortController();
  private closed = false;

  private constructor(
    readonly endpoint: URL,
    private readonly limits: UpstreamLimits,
  ) {}

  static async open(
    url: string,
    headers: Record<string, string>,
    limits: UpstreamLimits,
    onMessage: (message: JsonRpcMessage) => void,
    onClose: (reason: string) => void,
  ): Promise<LegacyUpstream> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new UpstreamError("timeout", "backend timed out")),
      limits.timeoutMs,
    );
    let events: AsyncGenerator<{ event: string; data: string }>;
    let endpoint: URL | undefined;
    try {
      const response = await fetch(url, {
        method: "GET",
        headers: { ...headers, Accept: "text/event-stream" },
        signal: abort.signal,
        redirect: "manual",
      }).catch((error: unknown) => {
        throw abort.signal.aborted ? abort.signal.reason : new UpstreamError("unreachable", describe(error));
      });
      if (!response.ok || !response.body || !isEventStream(response.headers.get("content-type"))) {
        await response.body?.cancel().catch(() => {});
        throw new UpstreamError("refused", `backend answered the SSE GET with ${refusal(response.status)}`);
      }
      events = readSseEvents(response.body, limits.maxMessageBytes);
      for (;;) {
        const next = await events.next().catch((error: unknown) => {
          throw abort.signal.aborted
            ? abort.signal.reason
            : new UpstreamError("unreachable", describe(error));
        });
        if (next.done)
          throw new UpstreamError("refused", "backend closed the SSE stream before naming its endpoint");
        if (next.value.event !== "endpoint") continue;
        endpoint = new URL(next.value.data.trim(), url);
        if (endpoint.origin !== new URL(url).origin) {
          throw new UpstreamError("refused", "backend named an endpoint on another origin");
        }
        break;
      }
    } catch (error) {
      abort.abort();
      throw error instanceof UpstreamError ? error : new UpstreamError("unreachable", describe(error));
    } finally {
      clearTimeout(timer);
    }
    const upstream = new LegacyUpstream(endpoint, limits);
    upstream.abort.signal.addEventListener("abort", () => abort.abort(), { once: true });
    void upstream.pump(events, onMessage, onClose);
    return upstream;
  }

  /** POSTs one message to the backend's endpoint; the answer comes on the SSE stream. */
  async post(message: JsonRpcMessage, headers: Record<string, string>): Promise<void> {
    if (this.closed) throw new UpstreamError("unreachable", "backend connection is closed");
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.limits.timeoutMs)]);
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify(message),
        signal,
        redirect: "manual",
      });
    } catch (error) {
      const timedOut = signal.aborted && !this.abort.signal.aborted;
      throw new UpstreamError(timedOut ? "timeout" : "unreachable", describe(error));
    }
    await response.body?.cancel().catch(() => {});
    if (!response.ok)
      throw new UpstreamError("refused", `backend answered the POST with ${refusal(response.status)}`);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }

  private async pump(
    events: AsyncGenerator<{ event: string; data: string }>,
    onMessage: (message: JsonRpcMessage) => void,
    onClose: (reason: string) => void,
  ): Promise<void> {
    let reason = "backend closed the SSE stream";
    try {
      for await (const { event, data } of events) {
        if (event !== "message") continue;
        const message = parseMessage(data); // not a JSON-RPC message: nothing a client could use
        if (message) onMessage(message);
      }
    } catch (error) {
      reason = this.abort.signal.aborted ? "closed by the gateway" : describe(error);
    }
    this.closed = true;
    onClose(reason);
  }
}

/** What an unsuccessful status means to the operator reading the log. */
function refusal(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}, a redirect: redirects are not followed`;
  if (status === 401 || status === 403) {
    return `HTTP ${status}: the backend refused the gateway's credential; check the server's backend credential`;
  }
  return `HTTP ${status}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
