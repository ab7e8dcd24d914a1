import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  type CompleteRequest,
  CompleteRequestSchema,
  type CompleteResult,
  ErrorCode,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { AggregateResources } from "./resources.ts";
import { backendFailure, type NamedRouter } from "./routing.ts";
import type { AggregateSession } from "./session.ts";
import { AnyResultSchema, type Extra } from "./tools.ts";

/** `completion/complete`, routed by the prompt's aggregated name or the resource's exposed URI. */
export class AggregateCompletion {
  constructor(
    private readonly prompts: NamedRouter,
    private readonly resources: AggregateResources,
    private readonly logger: Logger,
  ) {}

  install(server: Server, session: AggregateSession): void {
    server.setRequestHandler(CompleteRequestSchema, (request, extra) =>
      this.complete(session, request, extra),
    );
  }

  async complete(session: AggregateSession, request: CompleteRequest, extra: Extra): Promise<CompleteResult> {
    const { ref } = request.params;
    let target: { server: McpServer; ref: CompleteRequest["params"]["ref"] };
    if (ref.type === "ref/prompt") {
      const found = await this.prompts.resolve(session, ref.name);
      if (!found) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${ref.name}`);
      target = { server: found.server, ref: { ...ref, name: found.name } };
    } else {
      const found = this.resources.target(session, ref.uri);
      target = { server: found.server, ref: { ...ref, uri: found.uri } };
    }
    try {
      const result = await session
        .connection(target.server)
        .request(
          { method: "completion/complete", params: { ...request.params, ref: target.ref } },
          AnyResultSchema,
          {
            signal: extra.signal,
          },
        );
      return result as CompleteResult;
    } catch (error) {
      throw backendFailure(error, target.server, this.logger, "completion/complete");
    }
  }
}
