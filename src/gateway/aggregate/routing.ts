import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { Caller } from "../user-context.ts";
import type { ServerAccess } from "./access.ts";
import type { NamedCatalog, NamedItem, ServerItems } from "./catalog.ts";
import type { AggregateSession } from "./session.ts";

/** The JSON-RPC error code of a backend that could not be reached (as the per-server proxy uses). */
export const BACKEND_UNREACHABLE = -32000;

/** Where an aggregated name leads: the server, the backend's own name, the item as listed. */
export interface Located {
  server: McpServer;
  name: string;
  item: NamedItem | undefined;
  /** The caller's grant does not allow this item. */
  denied: boolean;
}

/** See `NamedRouter.view`. */
export interface ListView {
  version: number;
  servers: McpServer[];
  filters: (((name: string) => boolean) | undefined)[];
}

/** True when two views give the same list (same catalog version, servers and rules, by identity). */
export function sameView(a: ListView, b: ListView): boolean {
  if (a.version !== b.version || a.servers.length !== b.servers.length) return false;
  for (let i = 0; i < a.servers.length; i++) {
    if (a.servers[i] !== b.servers[i] || a.filters[i] !== b.filters[i]) return false;
  }
  return true;
}

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
    /** A request for an item the caller's grant denies was refused. */
    private readonly onDenied: (
      session: AggregateSession,
      server: McpServer,
      name: string,
    ) => void = () => {},
    /** Why a hidden item the grant allows is refused anyway (tool-definition pinning), or undefined. */
    private readonly refusal: (
      session: AggregateSession,
      server: McpServer,
      name: string,
    ) => string | undefined = () => undefined,
  ) {}

  /**
   * Every item of every server the caller may use, in server-name order. A backend that fails is
   * left out (and logged), and one the last health check found offline is not asked; the others
   * still answer.
   */
  async list(session: AggregateSession): Promise<NamedItem[]> {
    return (await this.merged(session, this.view(session))).items;
  }

  /**
   * What the caller's list is made of now: the servers it shows (not those found offline), each
   * with its tool rules, and the catalog's version. Two equal views give the same list.
   */
  view(session: AggregateSession): ListView {
    const servers = this.access.listable(session.caller);
    const filters = servers.map((server) => this.filter(server, session.caller));
    return { version: this.catalog.version, servers, filters };
  }

  /** The merged list of a view; `complete` is false when a backend failed and was left out. */
  async merged(
    session: AggregateSession,
    view: ListView,
  ): Promise<{ items: NamedItem[]; complete: boolean }> {
    const { servers, filters } = view;
    const answers = await Promise.allSettled(servers.map((server) => this.serverItems(session, server)));
    const items: NamedItem[] = [];
    let complete = true;
    answers.forEach((answer, index) => {
      const server = servers[index] as McpServer;
      if (answer.status === "rejected") {
        complete = false;
        this.logger.warn(
          { server: server.name, err: errorText(answer.reason) },
          "aggregated list: a backend did not answer; its items are left out",
        );
        return;
      }
      const allowed = filters[index];
      const { byExposedName } = answer.value;
      for (const item of answer.value.items) {
        if (!allowed || allowed(byExposedName.get(item.name) ?? "")) items.push(item);
      }
    });
    return { items, complete };
  }

  /**
   * The server and backend name behind an aggregated name. Servers whose name the aggregated name
   * starts with are asked first (every name, shortened or not, starts so unless the server's name
   * is very long); the others only when none of them has it. When the server the name points at
   * cannot be reached, that is the error (not "unknown"). An item the caller's grant does not allow
   * is refused (undefined, as unknown: it is not in their list either), logged and reported to
   * `onDenied`.
   */
  async resolve(session: AggregateSession, name: string): Promise<Located | undefined> {
    const found = await this.locate(session, name);
    if (!found?.denied) return found;
    const reason = this.refusal(session, found.server, found.name);
    if (reason !== undefined) throw new McpError(ErrorCode.InvalidParams, reason);
    this.logger.warn(
      {
        event: "tool_request_denied",
        userId: session.caller.principal.id,
        server: found.server.name,
        name: found.name,
      },
      "aggregated endpoint: a request for an item the user's grant does not allow was refused",
    );
    this.onDenied(session, found.server, found.name);
    return undefined;
  }

  /** As `resolve`, but an item the grant denies is given (with `denied`), not refused nor reported. */
  async locate(session: AggregateSession, name: string): Promise<Located | undefined> {
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
        const item = items?.itemByExposedName.get(name);
        return { server, name: own, item, denied: allowed !== undefined && !allowed(own) };
      }
    }
    if (unreachable !== undefined)
      throw new McpError(BACKEND_UNREACHABLE, `Backend ${unreachable.name} unreachable`);
    return undefined;
  }

  /**
   * `locate` answered from the cached catalogs alone, without waiting: the same answer `locate`
   * gives when one of the servers the name starts with has it, else null (`locate` decides: an
   * uncached catalog, a name found elsewhere or nowhere). The common call costs no promise and no
   * array per request.
   */
  locateNow(session: AggregateSession, name: string): Located | undefined | null {
    const caller = session.caller;
    const separator = this.separator;
    for (const server of this.access.all()) {
      const prefix = server.name.length + separator.length;
      if (
        name.length <= prefix ||
        !name.startsWith(server.name) ||
        !name.startsWith(separator, server.name.length) ||
        !this.access.allows(server, caller)
      )
        continue;
      const items = this.catalog.cached(server.id);
      if (items === undefined) return null;
      const own = items.byExposedName.get(name);
      if (own === undefined) continue;
      const allowed = this.filter(server, caller);
      const item = items.itemByExposedName.get(name);
      return { server, name: own, item, denied: allowed !== undefined && !allowed(own) };
    }
    return null;
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
