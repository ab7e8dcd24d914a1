import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import { type DirectAnswer, isConnectionFailure } from "./backend-connection.ts";
import type { NamedItem } from "./catalog.ts";
import { EncodedPage } from "./gzip-page.ts";
import { page } from "./pagination.ts";
import {
  backendFailure,
  errorText,
  type ListView,
  type Located,
  type NamedRouter,
  sameView,
} from "./routing.ts";
import type { AggregateSession } from "./session.ts";

const ENCODER = new TextEncoder();

/** Any result: the backend's answer is passed on as it came (the SDK server checks its shape). */
export const AnyResultSchema = z.looseObject({});

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** `tools/list` and `tools/call` of the aggregated endpoint. */
export class AggregateTools {
  constructor(
    private readonly router: NamedRouter,
    private readonly logger: Logger,
    private readonly pageSize: number,
  ) {}

  /** Each session's serialised `tools/list` pages and the view they were built for. */
  private readonly pages = new WeakMap<
    AggregateSession,
    { view: ListView; pages: Map<string, EncodedPage> }
  >();

  /** Where a tool name leads for this session (see `NamedRouter.locate`). */
  locate(session: AggregateSession, name: string): Promise<Located | undefined> {
    return this.router.locate(session, name);
  }

  /** `locate` without waiting, when the cached catalogs decide (see `NamedRouter.locateNow`). */
  locateNow(session: AggregateSession, name: string): Located | undefined | null {
    return this.router.locateNow(session, name);
  }

  /** As `locate`, a denied tool refused and reported (see `NamedRouter.resolve`). */
  resolve(session: AggregateSession, name: string): Promise<Located | undefined> {
    return this.router.resolve(session, name);
  }

  install(server: Server, session: AggregateSession): void {
    server.setRequestHandler(ListToolsRequestSchema, (request) => this.list(session, request.params?.cursor));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => this.call(session, request, extra));
  }

  async list(session: AggregateSession, cursor: string | undefined): Promise<ListToolsResult> {
    const { items, nextCursor } = page(await this.router.list(session), cursor, this.pageSize);
    // The backends' tool objects, renamed only: every other field is passed on unchanged.
    const tools = items as ListToolsResult["tools"];
    return nextCursor === undefined ? { tools } : { tools, nextCursor };
  }

  /**
   * One page of `tools/list` as UTF-8 JSON, kept per session until its view changes (see
   * `NamedRouter.view`: a catalog change, a grant or tool rule, a server offline or changed), so a
   * warm list costs a few identity comparisons per server, not a merge and a serialisation of
   * every tool. A list missing a failed backend is not kept.
   */
  async listJson(session: AggregateSession, cursor: string | undefined): Promise<EncodedPage> {
    const view = this.router.view(session);
    let cached = this.pages.get(session);
    if (!cached || !sameView(cached.view, view)) {
      cached = { view, pages: new Map() };
      this.pages.set(session, cached);
    }
    const key = cursor ?? "";
    const hit = cached.pages.get(key);
    if (hit !== undefined) return hit;
    const { items, complete } = await this.router.merged(session, view);
    const { items: tools, nextCursor } = page(items, cursor, this.pageSize);
    // Kept encoded: a large page is copied into each answer, not encoded again.
    const json = new EncodedPage(
      ENCODER.encode(JSON.stringify(nextCursor === undefined ? { tools } : { tools, nextCursor })),
    );
    if (complete && this.router.view(session).version === view.version) cached.pages.set(key, json);
    return json;
  }

  async call(session: AggregateSession, request: CallToolRequest, extra: Extra): Promise<CallToolResult> {
    const { name } = request.params;
    const target = await this.router.resolve(session, name);
    if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const clientToken = request.params._meta?.progressToken;
    const onprogress =
      clientToken === undefined
        ? undefined
        : (progress: { progress: number; total?: number; message?: string }) => {
            // The backend saw its connection's own token; the client gets back the one it chose.
            extra
              .sendNotification({
                method: "notifications/progress",
                params: { ...progress, progressToken: clientToken },
              })
              .catch(() => {});
          };
    const untrack = session.track(target.server.id, extra);
    // The signal is the client's: its notifications/cancelled makes the SDK client send the
    // backend a notifications/cancelled with the backend's own request id.
    const send = () =>
      session
        .connection(target.server)
        .request(
          { method: "tools/call", params: { ...request.params, name: target.name } },
          AnyResultSchema,
          {
            signal: extra.signal,
            onprogress,
          },
        );
    try {
      return (await this.retryingOnce(target, extra.signal, send)) as CallToolResult;
    } catch (error) {
      throw backendFailure(error, target.server, this.logger, "tools/call");
    } finally {
      untrack();
    }
  }

  /**
   * A plain call (no progress token, nothing to relay on its stream) of a tool already located:
   * straight to the backend connection (`BackendConnection.direct`), the backend's result or
   * JSON-RPC error given back as it came. Same retry rule as `call`.
   */
  async callDirect(
    session: AggregateSession,
    target: Located,
    params: CallToolRequest["params"],
    signal: AbortSignal,
  ): Promise<DirectAnswer> {
    const connection = session.connection(target.server);
    const request = { method: "tools/call", params: { ...params, name: target.name } };
    try {
      // The retry of `retryingOnce`, without a closure and an async step per call.
      try {
        return await connection.direct(request, signal);
      } catch (error) {
        if (!this.retrying(target, signal, error)) throw error;
        return await connection.direct(request, signal);
      }
    } catch (error) {
      const failure = backendFailure(error, target.server, this.logger, "tools/call");
      // As the SDK server answers a handler's McpError (its message as it is, with the data).
      const { code, message, data } = failure;
      return { error: data === undefined ? { code, message } : { code, message, data } };
    }
  }

  /**
   * Retried once, and only when the tool says a repeat does no harm and the connection failed
   * before any answer (no HTTP status, no JSON-RPC error): it may never have run.
   */
  private async retryingOnce<T>(target: Located, signal: AbortSignal, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!this.retrying(target, signal, error)) throw error;
      return await send();
    }
  }

  /** Whether a failed call is sent again (see `retryingOnce`); logged when it is. */
  private retrying(target: Located, signal: AbortSignal, error: unknown): boolean {
    if (!retryable(target.item, error) || signal.aborted) return false;
    this.logger.info(
      { server: target.server.name, tool: target.name, err: errorText(error) },
      "aggregated tools/call: connection failed before an answer; retrying an idempotent tool once",
    );
    return true;
  }
}

/** An idempotent, non-destructive tool whose call failed at the connection (see `call`). */
function retryable(tool: NamedItem | undefined, error: unknown): boolean {
  const annotations = (tool?.annotations ?? {}) as { idempotentHint?: unknown; destructiveHint?: unknown };
  return (
    annotations.idempotentHint === true && annotations.destructiveHint !== true && isConnectionFailure(error)
  );
}
