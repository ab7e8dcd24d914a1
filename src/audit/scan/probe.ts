import type { Exchange } from "./types.ts";

export interface ProbeOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Why the audit may not send a request to this URL (the gateway's SSRF guard), or undefined. */
  addressProblem: (url: string) => Promise<string | undefined>;
  /** Values never shown in evidence (the given token). */
  secrets: readonly string[];
  /** Told of every exchange as it ends (the admin page shows the audit's progress with it). */
  onExchange?: (exchange: Exchange) => void;
}

export interface ProbeRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

const MASK = "****";

/** Replaces every secret in `text` with a mask (the server may echo the credential back). */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(MASK);
  return out;
}

/**
 * Sends the audit's requests: redirects are never followed, each request has a deadline covering
 * its answer's body, bodies are read up to the size limit, and every URL (including those the
 * server's metadata points to) goes through the address guard first.
 */
export class AuditProbe {
  constructor(private readonly options: ProbeOptions) {}

  async send(request: ProbeRequest): Promise<Exchange> {
    const exchange = await this.exchange(request);
    this.options.onExchange?.(exchange);
    return exchange;
  }

  private async exchange(request: ProbeRequest): Promise<Exchange> {
    const shown = {
      method: request.method,
      url: request.url,
      headers: this.maskHeaders(request.headers ?? {}),
      ...(request.body === undefined ? {} : { body: this.mask(request.body) }),
    };
    const refused = await this.options.addressProblem(request.url);
    if (refused !== undefined)
      return { request: shown, headers: {}, body: "", error: `address refused: ${refused}` };
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal,
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = this.mask(value);
      });
      const { text, truncated } = await this.readBody(response);
      return {
        request: shown,
        status: response.status,
        headers,
        body: this.mask(text),
        ...(truncated ? { truncated: true } : {}),
      };
    } catch (error) {
      const message = signal.aborted
        ? `no answer within ${this.options.timeoutMs} ms`
        : describeFetchError(error);
      return { request: shown, headers: {}, body: "", error: message };
    }
  }

  mask(text: string): string {
    return maskSecrets(text, this.options.secrets);
  }

  private maskHeaders(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      out[name] = name.toLowerCase() === "authorization" ? maskAuthorization(value) : this.mask(value);
    }
    return out;
  }

  private async readBody(response: Response): Promise<{ text: string; truncated: boolean }> {
    if (response.body === null) return { text: "", truncated: false };
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const limit = this.options.maxResponseBytes;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        await reader.cancel().catch(() => {});
        return { text: Buffer.concat(chunks).toString("utf8"), truncated: true };
      }
      size += value.byteLength;
      chunks.push(value);
      // A Streamable HTTP answer on SSE may stay open after the response: stop at the first message.
      if (isEventStream(response) && /\n\n|\r\n\r\n/.test(Buffer.concat(chunks).toString("utf8"))) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
    return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
  }
}

function isEventStream(response: Response): boolean {
  return (response.headers.get("content-type") ?? "").toLowerCase().includes("text/event-stream");
}

/** Shows the scheme and the kind of credential, never the value. */
function maskAuthorization(value: string): string {
  const [scheme] = value.split(" ");
  return `${scheme} ${MASK}`;
}

/** Marks TLS certificate errors as such (Bun reports them with an error code). */
function describeFetchError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && TLS_ERROR_CODES.test(code)) return `TLS: ${code}: ${message}`;
  return typeof code === "string" ? `${code}: ${message}` : message;
}

export const TLS_ERROR_CODES = /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY|HOSTNAME|ERR_TLS/i;

/** The first JSON-RPC message of a JSON or SSE answer body, or undefined. */
export function rpcMessage(exchange: Exchange): Record<string, unknown> | undefined {
  const body = exchange.body.trim();
  if (body === "") return undefined;
  const contentType = (exchange.headers["content-type"] ?? "").toLowerCase();
  const texts = contentType.includes("text/event-stream")
    ? body
        .split(/\r?\n\r?\n/)
        .map((event) =>
          event
            .split(/\r?\n/)
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(l.startsWith("data: ") ? 6 : 5))
            .join("\n"),
        )
        .filter((data) => data !== "")
    : [body];
  for (const text of texts) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // not JSON: no message
    }
  }
  return undefined;
}

/** True when the exchange got a JSON-RPC `result` (the server did what was asked). */
export function answered(exchange: Exchange): boolean {
  if (exchange.status === undefined || exchange.status >= 300) return false;
  const message = rpcMessage(exchange);
  return message !== undefined && "result" in message;
}

/** "POST url (Authorization: Bearer ****) {body}" — one line of evidence for the request. */
export function describeRequest(exchange: Exchange): string {
  const { method, url, headers, body } = exchange.request;
  const shownHeaders = Object.entries(headers)
    .filter(([name]) => !["content-type", "accept"].includes(name.toLowerCase()))
    .map(([name, value]) => `${name}: ${value}`);
  const head = shownHeaders.length > 0 ? ` [${shownHeaders.join("; ")}]` : "";
  return `${method} ${url}${head}${body === undefined ? "" : ` ${excerpt(body, 200)}`}`;
}

/** "HTTP 200; header: value; body excerpt" — the part of the answer that shows a finding. */
export function describeResponse(
  exchange: Exchange,
  headerNames: readonly string[] = [],
  around?: number,
): string {
  if (exchange.error !== undefined) return exchange.error;
  const headers = headerNames
    .filter((name) => exchange.headers[name] !== undefined)
    .map((name) => `${name}: ${exchange.headers[name]}`);
  const body =
    around === undefined
      ? excerpt(exchange.body, 300)
      : excerpt(exchange.body.slice(Math.max(0, around - 100)), 300);
  return [`HTTP ${exchange.status}`, ...headers, body].filter((part) => part !== "").join("; ");
}

export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
