import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ListResourcesRequestSchema,
  type ListResourcesResult,
  ListResourceTemplatesRequestSchema,
  type ListResourceTemplatesResult,
  McpError,
  type ReadResourceRequest,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Logger } from "../../logger.ts";
import type { McpServer } from "../types.ts";
import type { ServerAccess } from "./access.ts";
import { page } from "./pagination.ts";
import { backendFailure, errorText } from "./routing.ts";
import type { AggregateSession } from "./session.ts";
import { AnyResultSchema, type Extra } from "./tools.ts";

/** MCP's "resource not found" error code. */
const RESOURCE_NOT_FOUND = -32002;
/** Pages read from one backend at most. */
const MAX_PAGES = 100;

/**
 * A backend's resource URI as the aggregated endpoint shows it: `{server}+{uri}`. The server's name
 * joins the URI's scheme (`notes+file:///a.txt`), so the result is still a URI, a template stays a
 * template (`notes+file:///{path}` expands to what maps back), and the mapping is reversible.
 */
export function exposedUri(server: string, uri: string): string {
  return `${server}+${uri}`;
}

/** The server name and backend URI of an exposed URI; undefined when it is not one. */
export function backendUri(exposed: string): { server: string; uri: string } | undefined {
  const at = exposed.indexOf("+");
  if (at <= 0) return undefined;
  return { server: exposed.slice(0, at), uri: exposed.slice(at + 1) };
}

const ResourcePageSchema = z.looseObject({
  resources: z.array(z.looseObject({ uri: z.string() })),
  nextCursor: z.string().optional(),
});
const TemplatePageSchema = z.looseObject({
  resourceTemplates: z.array(z.looseObject({ uriTemplate: z.string() })),
  nextCursor: z.string().optional(),
});
const ReadSchema = z.looseObject({ contents: z.array(z.looseObject({ uri: z.string() })) });

/**
 * `resources/list`, `resources/templates/list`, `resources/read`, `resources/subscribe` and
 * `unsubscribe`, with URIs rewritten (see `exposedUri`). Lists are not cached: a resource list is
 * the backend's data, not its catalog, and changes without notice.
 */
export class AggregateResources {
  constructor(
    private readonly access: ServerAccess,
    private readonly logger: Logger,
    private readonly pageSize: number,
  ) {}

  install(server: Server, session: AggregateSession): void {
    server.setRequestHandler(ListResourcesRequestSchema, (request) =>
      this.list(session, request.params?.cursor),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (request) =>
      this.templates(session, request.params?.cursor),
    );
    server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
      this.read(session, request, extra),
    );
    for (const schema of [SubscribeRequestSchema, UnsubscribeRequestSchema]) {
      server.setRequestHandler(schema, async (request, extra) => {
        const target = this.target(session, request.params.uri);
        try {
          await session
            .connection(target.server)
            .request(
              { method: request.method, params: { ...request.params, uri: target.uri } },
              AnyResultSchema,
              {
                signal: extra.signal,
              },
            );
          return {};
        } catch (error) {
          throw backendFailure(error, target.server, this.logger, request.method);
        }
      });
    }
  }

  async list(session: AggregateSession, cursor: string | undefined): Promise<ListResourcesResult> {
    const pages = await this.fromEach(session, async (server) => {
      const resources: ListResourcesResult["resources"] = [];
      await this.pages(session, server, "resources/list", ResourcePageSchema, (page) => {
        for (const resource of page.resources) {
          resources.push({
            ...resource,
            uri: exposedUri(server.name, resource.uri),
          } as (typeof resources)[number]);
        }
      });
      return resources;
    });
    const { items, nextCursor } = page(pages.flat(), cursor, this.pageSize);
    return nextCursor === undefined ? { resources: items } : { resources: items, nextCursor };
  }

  async templates(
    session: AggregateSession,
    cursor: string | undefined,
  ): Promise<ListResourceTemplatesResult> {
    const pages = await this.fromEach(session, async (server) => {
      const templates: ListResourceTemplatesResult["resourceTemplates"] = [];
      await this.pages(session, server, "resources/templates/list", TemplatePageSchema, (page) => {
        for (const template of page.resourceTemplates) {
          templates.push({
            ...template,
            uriTemplate: exposedUri(server.name, template.uriTemplate),
          } as (typeof templates)[number]);
        }
      });
      return templates;
    });
    const { items, nextCursor } = page(pages.flat(), cursor, this.pageSize);
    return nextCursor === undefined ? { resourceTemplates: items } : { resourceTemplates: items, nextCursor };
  }

  async read(
    session: AggregateSession,
    request: ReadResourceRequest,
    extra: Extra,
  ): Promise<ReadResourceResult> {
    const target = this.target(session, request.params.uri);
    try {
      const result = await session
        .connection(target.server)
        .request({ method: "resources/read", params: { ...request.params, uri: target.uri } }, ReadSchema, {
          signal: extra.signal,
        });
      const contents = result.contents.map((content) => ({
        ...content,
        uri: exposedUri(target.server.name, content.uri),
      }));
      return { ...result, contents } as ReadResourceResult;
    } catch (error) {
      throw backendFailure(error, target.server, this.logger, "resources/read");
    }
  }

  /** The permitted server and backend URI behind an exposed URI, or the "not found" error. */
  target(session: AggregateSession, uri: string): { server: McpServer; uri: string } {
    const parsed = backendUri(uri);
    const server =
      parsed === undefined
        ? undefined
        : this.access.servers(session.caller).find((candidate) => candidate.name === parsed.server);
    if (!parsed || !server) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`);
    return { server, uri: parsed.uri };
  }

  /** One answer per permitted server offering resources; a failing backend is left out and logged. */
  private async fromEach<T>(
    session: AggregateSession,
    each: (server: McpServer) => Promise<T[]>,
  ): Promise<T[][]> {
    const servers = this.access.servers(session.caller);
    const answers = await Promise.allSettled(
      servers.map(async (server) => {
        const capabilities = await session.connection(server).capabilities();
        return capabilities?.resources ? await each(server) : [];
      }),
    );
    return answers.map((answer, index) => {
      if (answer.status === "fulfilled") return answer.value;
      this.logger.warn(
        { server: servers[index]?.name, err: errorText(answer.reason) },
        "aggregated resources: a backend did not answer; its resources are left out",
      );
      return [];
    });
  }

  private async pages<S extends z.ZodType<{ nextCursor?: string | undefined }>>(
    session: AggregateSession,
    server: McpServer,
    method: "resources/list" | "resources/templates/list",
    schema: S,
    take: (page: z.output<S>) => void,
  ): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await session
        .connection(server)
        .request({ method, params: cursor === undefined ? {} : { cursor } }, schema);
      take(result);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
  }
}
