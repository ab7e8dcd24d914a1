import type { IpNetwork } from "../gateway/ip-networks.ts";
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
 * Two ways to apply it, one bookkeeping: `admit` + `settle` around a handler that reads its body
 * only through body.ts (the MCP proxy's hot path: the read itself fails with `BodyDeadlineError`
 * at the deadline, no promise per request besides the read's own), and `guard` around the Elysia
 * app, whose routes may read bodies by other means (its whole answer is raced with the deadline).
 *
 * Slow request *headers* are not seen here: the handler runs only once they are complete (Bun's
 * idle timeout is all that bounds them; see the README's security section).
 */

export interface BodyWatchOptions {
  timeoutMs: number;
  maxIncomplete: number;
  maxIncompletePerIp: number;
  /** TRUSTED_PROXIES, parsed: whose X-Forwarded-For names the client. */
  trustedProxies: readonly IpNetwork[];
}

interface PeerLookup {
  requestIP(request: Request): { address: string } | null;
}

/** A body read that the deadline ended; `response` is the 408 to answer with. */
export class BodyDeadlineError extends Error {
  constructor(readonly response: Response) {
    super("the request body did not arrive in time");
    this.name = "BodyDeadlineError";
  }
}

const ENTRY = Symbol("bodyWatchEntry");
type WatchedRequest = Request & { [ENTRY]?: BodyEntry };

/** Records that `request`'s body has been read to its end: its deadline no longer applies. */
export function markBodyRead(request: Request): void {
  const entry = (request as WatchedRequest)[ENTRY];
  if (entry === undefined) return;
  entry.bodyRead = true;
  entry.watch.release(entry);
}

/**
 * `read` (a read of `request`'s body), failing with `BodyDeadlineError` once the body deadline has
 * passed; with `marksRead`, its success marks the body read. Unwatched requests get `read` itself.
 */
export function whileBodyArrives<T>(request: Request, read: Promise<T>, marksRead = false): Promise<T> {
  const entry = (request as WatchedRequest)[ENTRY];
  if (entry === undefined || entry.raced) return marksRead ? read.then((v) => markRead(request, v)) : read;
  if (entry.timeoutAnswer !== undefined) {
    read.catch(() => {}); // the connection is closed with the 408; the read fails then
    return Promise.reject(new BodyDeadlineError(entry.timeoutAnswer));
  }
  return new Promise<T>((resolve, reject) => {
    entry.fail = reject;
    read.then(
      (value) => {
        entry.fail = undefined;
        if (marksRead) markBodyRead(request);
        resolve(value);
      },
      (error: unknown) => {
        entry.fail = undefined;
        reject(error);
      },
    );
  });
}

function markRead<T>(request: Request, value: T): T {
  markBodyRead(request);
  return value;
}

class BodyEntry {
  bodyRead = false;
  released = false;
  /** Set by `guard`: the handler's whole answer is raced with the deadline, reads need no watch. */
  raced = false;
  /** The client address; looked up only while the per-IP counts are kept (see BodyWatch.admit). */
  ip: string | undefined;
  /** The 408 once the deadline passed. */
  timeoutAnswer: Response | undefined;
  /** Fails the body read in progress (set while one waits). */
  fail: ((error: BodyDeadlineError) => void) | undefined;
  /** Ends `guard`'s race with the 408. */
  expire: ((response: Response) => void) | undefined;

  constructor(
    readonly request: Request,
    readonly deadline: number,
    readonly watch: BodyWatch,
  ) {}
}

export class BodyWatch {
  private readonly pending = new Set<BodyEntry>();
  /**
   * Requests per client IP. Kept only while at least `maxIncompletePerIp` requests are pending
   * (fewer cannot put any one IP at its cap), so the common request costs no address lookup;
   * dropped again below half of it, which makes rebuilding it rare.
   */
  private perIp: Map<string, number> | undefined;
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
   * The 503 for a request beyond the caps, or undefined: then the request is tracked (when it
   * carries a body) until `settle`. The handler must read the body through body.ts.
   */
  admit(request: Request, server: PeerLookup | null | undefined): Response | undefined {
    if (!carriesBody(request)) return undefined;
    const { maxIncomplete, maxIncompletePerIp } = this.options;
    if (this.pending.size >= maxIncomplete) {
      return unavailable(
        `too many requests are still sending their body (HTTP_INCOMPLETE_REQUESTS_MAX=${maxIncomplete})`,
      );
    }
    const entry = new BodyEntry(request, performance.now() + this.options.timeoutMs, this);
    if (this.perIp === undefined && this.pending.size >= maxIncompletePerIp) this.countPerIp(server);
    if (this.perIp !== undefined) {
      const ip = clientIp(request, server, this.options.trustedProxies);
      const count = this.perIp.get(ip) ?? 0;
      if (count >= maxIncompletePerIp) {
        return unavailable(
          `too many requests from this address are still sending their body (HTTP_INCOMPLETE_REQUESTS_PER_IP=${maxIncompletePerIp})`,
        );
      }
      entry.ip = ip;
      this.perIp.set(ip, count + 1);
    }
    (request as WatchedRequest)[ENTRY] = entry;
    this.pending.add(entry);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
    return undefined;
  }

  /** Ends the tracking of an admitted request once its handler answered; closes the connection of an unread body. */
  settle(request: Request, response: Response): void {
    const entry = (request as WatchedRequest)[ENTRY];
    if (entry === undefined) return;
    this.release(entry);
    if (!entry.bodyRead) closeAfter(response);
  }

  /**
   * Answers `request` with `respond()` under the body deadline and the caps, racing the whole
   * answer with the deadline (for handlers that may read the body by other means than body.ts);
   * requests without a body go straight through. `ownAnswer` sees the 408 and 503 answers the
   * watch makes itself.
   */
  async guard(
    request: Request,
    server: PeerLookup | null | undefined,
    respond: () => Response | Promise<Response>,
    ownAnswer?: (response: Response) => void,
  ): Promise<Response> {
    const refused = this.admit(request, server);
    if (refused) {
      ownAnswer?.(refused);
      return refused;
    }
    const entry = (request as WatchedRequest)[ENTRY];
    if (entry === undefined) return respond();
    entry.raced = true;
    const expired = new Promise<Response>((resolve) => {
      entry.expire = resolve;
    });
    let response: Response;
    try {
      response = await Promise.race([respond(), expired]);
    } finally {
      this.release(entry);
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

  /** Stops tracking an entry (idempotent). */
  release(entry: BodyEntry): void {
    if (entry.released) return;
    entry.released = true;
    this.pending.delete(entry);
    const perIp = this.perIp;
    if (perIp === undefined) return;
    if (this.pending.size * 2 < this.options.maxIncompletePerIp) {
      this.perIp = undefined;
      return;
    }
    if (entry.ip === undefined) return;
    const left = (perIp.get(entry.ip) ?? 1) - 1;
    if (left > 0) perIp.set(entry.ip, left);
    else perIp.delete(entry.ip);
  }

  /** Starts keeping per-IP counts, from the requests pending now. */
  private countPerIp(server: PeerLookup | null | undefined): void {
    const perIp = new Map<string, number>();
    for (const entry of this.pending) {
      entry.ip ??= clientIp(entry.request, server, this.options.trustedProxies);
      perIp.set(entry.ip, (perIp.get(entry.ip) ?? 0) + 1);
    }
    this.perIp = perIp;
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      this.release(entry);
      const answer = jsonError(
        408,
        "invalid_request",
        `the request body did not arrive within ${this.options.timeoutMs} ms (HTTP_BODY_TIMEOUT_MS)`,
        { Connection: "close" },
      );
      entry.timeoutAnswer = answer;
      entry.expire?.(answer);
      entry.fail?.(new BodyDeadlineError(answer));
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
