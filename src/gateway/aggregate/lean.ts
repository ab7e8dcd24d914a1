import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { DirectAnswer } from "./backend-connection.ts";
import type { Routed } from "./request-route.ts";
import type { AggregateSession } from "./session.ts";
import type { AggregateTools } from "./tools.ts";

const ENCODER = new TextEncoder();

/** One JSON-RPC request as the client sent it (already parsed). */
export interface RpcRequest {
  jsonrpc: "2.0";
  id: string | number;
  method: string;
  params?: unknown;
}

/** A lean answer: the JSON-RPC response (UTF-8 JSON), its size and its error code, if it is an error. */
export interface LeanAnswer {
  body: string | Blob;
  /** Bytes of `body` as sent (compressed when `encoding` is set). */
  bytes: number;
  errorCode: number | null;
  /** The body's content coding (a large `tools/list` page to a client that takes gzip). */
  encoding?: "gzip";
}

/** How the lean path answers what it may compress. */
export interface LeanOptions {
  /** A `tools/list` page at least this large goes gzip-encoded to a client that takes it; 0: never. */
  listGzipMinBytes: number;
}

/**
 * The lean path of the aggregated endpoint, for the two requests a client sends most: `tools/list`
 * and a plain `tools/call`. Why: the SDK `Server` on its Streamable HTTP transport answers every
 * POST through an SSE stream of its own and validates each message and result with zod several
 * times, and its `Client` does the same towards the backend; measured, that made an aggregated
 * call cost about six times the CPU of the per-server proxy (bench/README.md). These two requests
 * need none of it when nothing can travel on their stream but the answer, so they are answered
 * here as `application/json`:
 * - `tools/list`: a cached, already serialised page (`AggregateTools.listJson`);
 * - `tools/call` without a progress token, from a client that declared neither sampling nor
 *   elicitation (so no backend request can belong on the call's stream): POSTed straight to the
 *   backend session (`BackendConnection.direct`), its result or error passed back as it came.
 *   Cancellation (`notifications/cancelled` for its id, or the client going away) reaches the
 *   backend as on the SDK path. Logging messages a backend sends meanwhile go on the GET stream, as
 *   for any message not tied to a call in flight.
 * Everything else (progress, relays, batches, a client that does not accept JSON, a body the SDK
 * would refuse) takes the SDK path unchanged.
 */
export class LeanPath {
  constructor(
    private readonly tools: AggregateTools,
    private readonly options: LeanOptions,
  ) {}

  /** True when this request is answered here (see the class comment). */
  takes(session: AggregateSession, message: RpcRequest, accept: string | null): boolean {
    if (accept === null || !accept.includes("application/json")) return false;
    const params = message.params;
    if (params !== undefined && (params === null || typeof params !== "object" || Array.isArray(params)))
      return false;
    const fields = (params ?? {}) as {
      cursor?: unknown;
      name?: unknown;
      arguments?: unknown;
      _meta?: { progressToken?: unknown };
    };
    if (message.method === "tools/list")
      return fields.cursor === undefined || typeof fields.cursor === "string";
    if (message.method !== "tools/call") return false;
    const client = session.clientCapabilities;
    if (client.sampling || client.elicitation) return false;
    if (typeof fields.name !== "string" || fields._meta?.progressToken !== undefined) return false;
    const args = fields.arguments;
    return args === undefined || (args !== null && typeof args === "object" && !Array.isArray(args));
  }

  /**
   * The answer to a request `takes` accepted; `routed` is where the endpoint found it goes;
   * `client`: the client's HTTP request (its going away cancels the call); `gzip`: the client takes
   * a gzip-encoded answer.
   */
  async answer(
    session: AggregateSession,
    message: RpcRequest,
    routed: Routed,
    client: Request,
    gzip = false,
  ): Promise<LeanAnswer> {
    const id = JSON.stringify(message.id);
    try {
      if (message.method === "tools/list") {
        const cursor = (message.params as { cursor?: string } | undefined)?.cursor;
        const page = await this.tools.listJson(session, cursor);
        const prefix = `{"jsonrpc":"2.0","id":${id},"result":`;
        const min = this.options.listGzipMinBytes;
        if (gzip && min > 0 && page.json.byteLength >= min) {
          const body = page.gzip().withPrefix(ENCODER.encode(prefix));
          return { body, bytes: body.size, errorCode: null, encoding: "gzip" };
        }
        const body = new Blob([prefix, page.json, "}"]);
        return { body, bytes: body.size, errorCode: null };
      }
      const params = message.params as { name: string };
      if (routed.failure !== undefined) throw routed.failure;
      let tool = routed.tool;
      // A denied tool is refused as the SDK path refuses it (logged and reported there).
      if (tool?.denied) tool = await this.tools.resolve(session, params.name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
      const located = tool;
      const answer: DirectAnswer = await session.leanCall(
        message.id,
        client,
        located.server.timeoutMs,
        (signal) => this.tools.callDirect(session, located, params, signal),
      );
      if (answer.error) return errorAnswer(id, answer.error);
      return textAnswer(`{"jsonrpc":"2.0","id":${id},"result":${JSON.stringify(answer.result)}}`, null);
    } catch (error) {
      if (error instanceof McpError) {
        const { code, message: text, data } = error;
        return errorAnswer(id, data === undefined ? { code, message: text } : { code, message: text, data });
      }
      const text = error instanceof Error ? error.message : String(error);
      return errorAnswer(id, { code: ErrorCode.InternalError, message: text || "Internal error" });
    }
  }
}

function errorAnswer(id: string, error: { code: number; message: string; data?: unknown }): LeanAnswer {
  return textAnswer(`{"jsonrpc":"2.0","id":${id},"error":${JSON.stringify(error)}}`, error.code);
}

function textAnswer(json: string, errorCode: number | null): LeanAnswer {
  return { body: json, bytes: Buffer.byteLength(json), errorCode };
}
