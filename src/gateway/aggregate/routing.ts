import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { Caller } from "../user-context.ts";
import type { ServerAccess } from "./access.ts";
import type { NamedCatalog, NamedItem, ServerItems } from "./catalog.ts";
import type { AggregateSession } from "./session.ts";

/** The JSON-RPC error code of a backend that could not be reached (as the per-server proxy uses). */
export const BACKEND_UNREACHABLE = -32000;

/** Merged lists and name routing for one catalog (tools or prompts). */
export class NamedRouter {
  constructor(
    private readonly access: ServerAccess,
    private readonly catalog: NamedCatalog,
    private readonly separator: string,
    private readonly logger: Logger,
    /** Which of a server's items the caller may see and use (tools: the grant's tool rules). */
    private readonly filter: (
      server: McpServer,
      caller: Caller,
    ) => ((name: string) => boolean) | undefined = () => undefined,
  ) {}

  /**
   * Every item of every server the caller may use, in server-name order. A backend that fails is
   * left out (and logged), and one the last health check found offline is not asked; the others
   * still answer.
   */
  async list(session: AggregateSession): Promise<NamedItem[]> {
    const servers = this.access.listable(session.caller);
    const answers = await Promise.allSettled(servers.map((server) => this.serverItems(session, server)));
    const items: NamedItem[] = [];
    answers.forEach((answer, index) => {
      const server = servers[index] as McpServer;
      if (answer.status === "rejected") {
        this.logger.warn(
          { server: server.name, err: errorText(answer.reason) },
          "aggregated list: a backend did not answer; its items are left out",
        );
        return;
      }
      const allowed = this.filter(server, session.caller);
      const { byExposedName } = answer.value;
      for (const item of answer.value.items) {
        if (!allowed || allowed(byExposedName.get(item.name) ?? "")) items.push(item);
      }
    });
    return items;
  }

  /**
   * The server and backend name behind an aggregated name. Servers whose name the aggregated name
   * starts with are asked first (every name, shortened or not, starts so unless the server's name
   * is very long); the others only when none of them has it. When the server the name points at
   * cannot be reached, that is the error (not "unknown").
   */
  async resolve(
    session: AggregateSession,
    name: string,
  ): Promise<{ server: McpServer; name: string; item: NamedItem | undefined } | undefined> {
    const servers = this.access.servers(session.caller);
    const likely = servers.filter((server) => name.startsWith(`${server.name}${this.separator}`));
    const rest = servers.filter((server) => !likely.includes(server));
    let unreachable: McpServer | undefined;
    for (const group of [likely, rest]) {
      for (const server of group) {
        const items = await this.serverItems(session, server).catch(() => undefined);
        if (items === undefined && likely.includes(server)) unreachable ??= server;
        const own = items?.byExposedName.get(name);
        if (own === undefined) continue;
        const allowed = this.filter(server, session.caller);
        if (allowed && !allowed(own)) {
          this.logger.warn(
            {
              event: "tool_request_denied",
              userId: session.caller.principal.id,
              server: server.name,
              name: own,
            },
            "aggregated endpoint: a request for an item the user's grant does not allow was refused",
          );
          return undefined;
        }
        return { server, name: own, item: items?.itemByExposedName.get(name) };
      }
    }
    if (unreachable !== undefined)
      throw new McpError(BACKEND_UNREACHABLE, `Backend ${unreachable.name} unreachable`);
    return undefined;
  }

  private serverItems(session: AggregateSession, server: McpServer): Promise<ServerItems> {
    const cached = this.catalog.cached(server.id);
    return cached ? Promise.resolve(cached) : this.catalog.items(session.connection(server));
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A backend request's failure as the client sees it: the backend's own JSON-RPC error (or the
 * SDK's timeout) as it is, anything else (connection refused, reset, refused address) as
 * "unreachable", logged with the reason.
 */
export function backendFailure(error: unknown, server: McpServer, logger: Logger, what: string): McpError {
  if (error instanceof McpError) return error;
  logger.warn({ server: server.name, err: errorText(error) }, `aggregated ${what}: backend unreachable`);
  return new McpError(BACKEND_UNREACHABLE, `Backend ${server.name} unreachable`);
}
