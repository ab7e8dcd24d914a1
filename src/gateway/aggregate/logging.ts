import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { EmptyResultSchema, SetLevelRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import { errorText } from "./routing.ts";
import type { AggregateSession } from "./session.ts";

/**
 * `logging/setLevel`: remembered for the session (backends connected later get it when they
 * connect) and sent now to every connected backend that offers logging.
 */
export class AggregateLogging {
  constructor(private readonly logger: Logger) {}

  install(server: Server, session: AggregateSession): void {
    server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      const { level } = request.params;
      session.loggingLevel = level;
      await Promise.all(
        session.connectionsNow().map(async (connection) => {
          const capabilities = await connection.connectedCapabilities();
          if (!capabilities?.logging) return;
          await connection
            .request({ method: "logging/setLevel", params: { level } }, EmptyResultSchema)
            .catch((error: unknown) =>
              this.logger.debug(
                { server: connection.server.name, err: errorText(error) },
                "logging/setLevel failed",
              ),
            );
        }),
      );
      return {};
    });
  }
}
