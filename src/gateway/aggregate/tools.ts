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
import { isConnectionFailure } from "./backend-connection.ts";
import type { NamedItem } from "./catalog.ts";
import { page } from "./pagination.ts";
import { backendFailure, errorText, type NamedRouter } from "./routing.ts";
import type { AggregateSession } from "./session.ts";

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
      try {
        return (await send()) as CallToolResult;
      } catch (error) {
        // Retried once, and only when the tool says a repeat does no harm and the connection failed
        // before any answer (no HTTP status, no JSON-RPC error): it may never have run.
        if (!retryable(target.item, error) || extra.signal.aborted) throw error;
        this.logger.info(
          { server: target.server.name, tool: target.name, err: errorText(error) },
          "aggregated tools/call: connection failed before an answer; retrying an idempotent tool once",
        );
        return (await send()) as CallToolResult;
      }
    } catch (error) {
      throw backendFailure(error, target.server, this.logger, "tools/call");
    } finally {
      untrack();
    }
  }
}

/** An idempotent, non-destructive tool whose call failed at the connection (see `call`). */
function retryable(tool: NamedItem | undefined, error: unknown): boolean {
  const annotations = (tool?.annotations ?? {}) as { idempotentHint?: unknown; destructiveHint?: unknown };
  return (
    annotations.idempotentHint === true && annotations.destructiveHint !== true && isConnectionFailure(error)
  );
}
