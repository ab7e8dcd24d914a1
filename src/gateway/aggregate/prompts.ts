import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  type GetPromptRequest,
  GetPromptRequestSchema,
  type GetPromptResult,
  ListPromptsRequestSchema,
  type ListPromptsResult,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import { page } from "./pagination.ts";
import { backendFailure, type NamedRouter } from "./routing.ts";
import type { AggregateSession } from "./session.ts";
import { AnyResultSchema, type Extra } from "./tools.ts";

/** `prompts/list` and `prompts/get`: prompts named `{server}{separator}{prompt}` like tools. */
export class AggregatePrompts {
  constructor(
    private readonly router: NamedRouter,
    private readonly logger: Logger,
    private readonly pageSize: number,
  ) {}

  install(server: Server, session: AggregateSession): void {
    server.setRequestHandler(ListPromptsRequestSchema, (request) =>
      this.list(session, request.params?.cursor),
    );
    server.setRequestHandler(GetPromptRequestSchema, (request, extra) => this.get(session, request, extra));
  }

  async list(session: AggregateSession, cursor: string | undefined): Promise<ListPromptsResult> {
    const { items, nextCursor } = page(await this.router.list(session), cursor, this.pageSize);
    const prompts = items as ListPromptsResult["prompts"];
    return nextCursor === undefined ? { prompts } : { prompts, nextCursor };
  }

  async get(session: AggregateSession, request: GetPromptRequest, extra: Extra): Promise<GetPromptResult> {
    const { name } = request.params;
    const target = await this.router.resolve(session, name);
    if (!target) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    try {
      const result = await session
        .connection(target.server)
        .request(
          { method: "prompts/get", params: { ...request.params, name: target.name } },
          AnyResultSchema,
          {
            signal: extra.signal,
          },
        );
      return result as GetPromptResult;
    } catch (error) {
      throw backendFailure(error, target.server, this.logger, "prompts/get");
    }
  }
}
