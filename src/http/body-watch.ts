import { clientIp } from "./client-ip.ts";
import { jsonError } from "./errors.ts";

/**
 * A deadline for request bodies and a cap on requests whose body is still arriving.
 *
 * Bun resets its idle timeout on every byte, so a client sending one byte every few seconds holds
 * a connection (and the handler reading from it) for ever, and Bun keeps reading a body after the
 * handler has answered without it (to reuse the connection). Bun.serve has no deadline of its own
 * for a whole body, so the gateway keeps one: a request that carries a body is tracked from its
 * arrival until its body has been read (`markBodyRead`, called by the readers in body.ts) or its
 * handler has answered. Past the deadline it is answered 408 and its connection closed; beyond the
 * caps a new one is answered 503 and closed at once; an answer given before the body was read
 * closes the connection, so an unread body cannot keep it either.
 *
 * Slow request *headers* are not seen here: the handler runs only once they are complete (Bun's
 * idle timeout is all that bounds them; see the README's security section).
 */

export interface BodyWatchOptions {
  timeoutMs: number;
  maxIncomplete: number;
  maxIncompletePerIp: number;
  trustProxyHeaders: boolean;
}

interface PeerLookup {
  requestIP(request: Request): { address: string } | null;
}

const ENTRY = Symbol("bodyWatchEntry");
type WatchedRequest = Request & { [ENTRY]?: BodyEntry };

/** Records that `request`'s body has been read to its end: its deadline no longer applies. */
export function markBodyRead(request: Request): void {
  const entry = (request as WatchedRequest)[ENTRY];
  if (entry === undefined) return;
  entry.bodyRead = true;
  entry.release();
}

class BodyEntry {
  bodyRead = false;
  /** The 408 once the deadline passed. */
  timeoutAnswer: Response | undefined;
  readonly expired: Promise<Response>;
  readonly expire: (response: Response) => void;
  private released = false;

  constructor(
    readonly ip: string,
    readonly deadline: number,
    private readonly onRelease: (entry: BodyEntry) => void,
  ) {
    const { promise, resolve } = Promise.withResolvers<Response>();
    this.expired = promise;
    this.expire = resolve;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }
}

export class BodyWatch {
  private readonly pending = new Set<BodyEntry>();
  private readonly perIp = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly sweepMs: number;

  constructor(private readonly options: BodyWatchOptions) {
    // The deadline's precision: a tenth of it, between 10 ms and 1 s.
    this.sweepMs = Math.min(1000, Math.max(10, Math.floor(options.timeoutMs / 10)));
  }

  /** Requests whose body is still arriving. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Answers `request` with `respond()` under the body deadline and the caps; requests without a
   * body go straight through. `ownAnswer` sees the 408 and 503 answers the watch makes itself.
   */
  async guard(
    request: Request,
    server: PeerLookup | null | undefined,
    respond: () => Response | Promise<Response>,
    ownAnswer?: (response: Response) => void,
  ): Promise<Response> {
    if (!carriesBody(request)) return respond();
    const ip = clientIp(request, server, this.options.trustProxyHeaders);
    const refused = this.refusal(ip);
    if (refused) {
      ownAnswer?.(refused);
      return refused;
    }
    const entry = this.track(request, ip);
    let response: Response;
    try {
      response = await Promise.race([respond(), entry.expired]);
    } finally {
      entry.release();
    }
    if (!entry.bodyRead) closeAfter(response);
    if (response === entry.timeoutAnswer) ownAnswer?.(response);
    return response;
  }

  /** Stops the sweep (the server is stopping). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private refusal(ip: string): Response | undefined {
    if (this.pending.size >= this.options.maxIncomplete) {
      return unavailable(
        `too many requests are still sending their body (HTTP_INCOMPLETE_REQUESTS_MAX=${this.options.maxIncomplete})`,
      );
    }
    if ((this.perIp.get(ip) ?? 0) >= this.options.maxIncompletePerIp) {
      return unavailable(
        `too many requests from this address are still sending their body (HTTP_INCOMPLETE_REQUESTS_PER_IP=${this.options.maxIncompletePerIp})`,
      );
    }
    return undefined;
  }

  private track(request: Request, ip: string): BodyEntry {
    const entry = new BodyEntry(ip, performance.now() + this.options.timeoutMs, (e) => this.untrack(e));
    (request as WatchedRequest)[ENTRY] = entry;
    this.pending.add(entry);
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
    return entry;
  }

  private untrack(entry: BodyEntry): void {
    if (!this.pending.delete(entry)) return;
    const left = (this.perIp.get(entry.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(entry.ip, left);
    else this.perIp.delete(entry.ip);
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      entry.release();
      entry.timeoutAnswer = jsonError(
        408,
        "invalid_request",
        `the request body did not arrive within ${this.options.timeoutMs} ms (HTTP_BODY_TIMEOUT_MS)`,
        { Connection: "close" },
      );
      entry.expire(entry.timeoutAnswer);
    }
  }
}

/** A non-zero Content-Length or any Transfer-Encoding (chunked): the request has a body to wait for. */
function carriesBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null) return length !== "0";
  return request.headers.get("transfer-encoding") !== null;
}

function unavailable(message: string): Response {
  return jsonError(503, "temporarily_unavailable", message, { Connection: "close", "Retry-After": "1" });
}

/** Bun closes the connection after a response that says so, instead of reading the rest of the body. */
function closeAfter(response: Response): void {
  try {
    response.headers.set("connection", "close");
  } catch {
    // Immutable headers (a Response.redirect): the connection is kept, bounded by the idle timeout.
  }
}
