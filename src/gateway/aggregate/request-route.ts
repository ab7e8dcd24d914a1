import type { McpServer } from "../types.ts";
import type { AggregateResources } from "./resources.ts";
import type { Located, NamedRouter } from "./routing.ts";
import type { AggregateSession } from "./session.ts";
import type { AggregateTools } from "./tools.ts";

/** Where one client request goes, as the endpoint sees it before answering. */
export interface Routed {
  /** The one backend the request is routed to; undefined for the gateway's own and merged requests. */
  server: McpServer | undefined;
  /** The tool or prompt name, or resource URI, as the client sent it. */
  target: string | null;
  /** A tool call's destination (for the lean path). */
  tool?: Located;
  /** The caller's grant denies the tool or prompt named. */
  denied: boolean;
  /** Why the request leads nowhere (the backend it names is unreachable …), as its handler would say. */
  failure?: unknown;
}

const NOWHERE: Routed = { server: undefined, target: null, denied: false };

/**
 * Which backend a request of the aggregated endpoint goes to (tools/call, prompts/get,
 * resources/read, resources/subscribe and unsubscribe, completion/complete), found the way its
 * handler finds it, from the cached catalogs: what the per-user limit of that server counts and
 * what the activity row names. Never throws: a request that leads nowhere is its handler's to
 * refuse, with the JSON-RPC error it gives today.
 */
export class RequestRoutes {
  constructor(
    private readonly tools: AggregateTools,
    private readonly prompts: NamedRouter,
    private readonly resources: AggregateResources,
  ) {}

  /**
   * As `routed`, without a promise when the cached catalogs decide a tool call (the request the
   * endpoint sees most).
   */
  route(session: AggregateSession, method: string, params: unknown): Routed | Promise<Routed> {
    if (method === "tools/call" && params && typeof params === "object") {
      const name = (params as { name?: unknown }).name;
      if (typeof name === "string") {
        const tool = this.tools.locateNow(session, name);
        if (tool !== null) return { server: tool?.server, target: name, tool, denied: tool?.denied ?? false };
      }
    }
    return this.routed(session, method, params);
  }

  async routed(session: AggregateSession, method: string, params: unknown): Promise<Routed> {
    const fields = (params && typeof params === "object" ? params : {}) as {
      name?: unknown;
      uri?: unknown;
      ref?: { type?: unknown; name?: unknown; uri?: unknown };
    };
    try {
      switch (method) {
        case "tools/call": {
          if (typeof fields.name !== "string") return NOWHERE;
          const tool = await this.tools.locate(session, fields.name);
          return { server: tool?.server, target: fields.name, tool, denied: tool?.denied ?? false };
        }
        case "prompts/get":
          return typeof fields.name === "string" ? await this.prompt(session, fields.name) : NOWHERE;
        case "resources/read":
        case "resources/subscribe":
        case "resources/unsubscribe":
          return typeof fields.uri === "string" ? this.resource(session, fields.uri) : NOWHERE;
        case "completion/complete": {
          const ref = fields.ref ?? {};
          if (ref.type === "ref/prompt" && typeof ref.name === "string")
            return await this.prompt(session, ref.name);
          if (ref.type === "ref/resource" && typeof ref.uri === "string")
            return this.resource(session, ref.uri);
          return NOWHERE;
        }
        default:
          return NOWHERE;
      }
    } catch (failure) {
      // Unreachable backend, unknown resource: the handler gives the error.
      const target =
        typeof fields.name === "string" ? fields.name : typeof fields.uri === "string" ? fields.uri : null;
      return { server: undefined, target, denied: false, failure };
    }
  }

  private async prompt(session: AggregateSession, name: string): Promise<Routed> {
    const prompt = await this.prompts.locate(session, name);
    return { server: prompt?.server, target: name, denied: prompt?.denied ?? false };
  }

  private resource(session: AggregateSession, uri: string): Routed {
    return { server: this.resources.target(session, uri).server, target: uri, denied: false };
  }
}
