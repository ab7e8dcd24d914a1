/** One backend request the proxy is waiting on, until the backend's answer starts. */
export class WatchedCall {
  readonly controller = new AbortController();
  /** Set when the deadline passed before the answer started (the caller answers 504). */
  timedOut = false;

  constructor(
    readonly client: Request,
    readonly deadline: number,
  ) {}

  /** The signal to give the upstream `fetch`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
}

/**
 * Aborts backend requests whose client went away or whose first byte is late, from one sweep
 * every `intervalMs` instead of a timer and a combined signal per request: under load those cost
 * the proxy more CPU per request than everything else it checks (see bench/README.md). The
 * client's going away is read from its request's signal, which Bun marks aborted when the
 * connection closes even when nobody listens to it. Both are therefore detected within
 * `intervalMs`. The sweep runs only while calls are waiting.
 */
export class UpstreamWatch {
  private readonly calls = new Set<WatchedCall>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly intervalMs: number) {}

  /** Starts watching a call; `end` it once the answer has started (or failed). */
  start(client: Request, timeoutMs: number): WatchedCall {
    const call = new WatchedCall(client, performance.now() + timeoutMs);
    this.calls.add(call);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      this.timer.unref();
    }
    return call;
  }

  end(call: WatchedCall): void {
    this.calls.delete(call);
  }

  /** Calls being waited on (for tests and metrics). */
  get size(): number {
    return this.calls.size;
  }

  /** Whether the sweep timer is running. */
  get sweeping(): boolean {
    return this.timer !== undefined;
  }

  /** Aborts every waiting call and stops the sweep (the gateway is shutting down). */
  close(): void {
    this.stop();
    for (const call of this.calls) call.controller.abort(new DOMException("gateway closing", "AbortError"));
    this.calls.clear();
  }

  private sweep(): void {
    if (this.calls.size === 0) {
      this.stop();
      return;
    }
    const now = performance.now();
    // Deleting the entry being visited is safe while iterating a Set.
    for (const call of this.calls) {
      if (call.client.signal.aborted) {
        this.calls.delete(call);
        call.controller.abort(call.client.signal.reason);
      } else if (now >= call.deadline) {
        this.calls.delete(call);
        call.timedOut = true;
        call.controller.abort(new DOMException("backend first byte timeout", "TimeoutError"));
      }
    }
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
