import { z } from "zod";
import type { NamedCatalog, ServerItems } from "../../gateway/aggregate/catalog.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";
import type { Logger } from "../../logger.ts";
import { adminConnection } from "./servers-test.ts";

/** A tool, prompt or resource as the page lists it: names and descriptions as the backend sent them. */
export interface DiscoveredItem {
  name: string;
  description: string;
}

export interface DiscoveredResource {
  /** The URI, or the URI template of a resource template. */
  uri: string;
  name: string;
  description: string;
  template: boolean;
}

export type Discovery =
  | {
      ok: true;
      tools: DiscoveredItem[];
      prompts: DiscoveredItem[];
      resources: DiscoveredResource[];
      /** The backend has more resources or templates than their first pages. */
      moreResources: boolean;
    }
  | { ok: false; error: string };

const text = z.string().catch("");
const ResourcePage = z.looseObject({
  resources: z.array(z.looseObject({ uri: z.string(), name: text, description: text.optional() })),
  nextCursor: z.string().optional(),
});
const TemplatePage = z.looseObject({
  resourceTemplates: z.array(
    z.looseObject({ uriTemplate: z.string(), name: text, description: text.optional() }),
  ),
  nextCursor: z.string().optional(),
});

/** A catalog entry's items under the backend's own names (the catalog keeps the aggregated ones). */
export function backendItems(items: ServerItems | undefined): DiscoveredItem[] | undefined {
  if (!items) return undefined;
  return items.items.map((item) => ({
    name: items.byExposedName.get(item.name) ?? item.name,
    description: typeof item.description === "string" ? item.description : "",
  }));
}

/** The tool names the gateway's catalog holds for the server now (nothing asked of the backend). */
export function cachedToolNames(gateway: Gateway, serverId: string): string[] {
  return (backendItems(gateway.aggregate.catalogs.tools.cached(serverId)) ?? []).map((tool) => tool.name);
}

/**
 * What the server offers: its tools and prompts from the gateway's catalog (the cache the
 * aggregated endpoint shares; a cold entry is fetched and cached as a client's list would be),
 * and the first page of its resources and resource templates, which the gateway never caches (a
 * resource list is the backend's data, not its catalog). Asked as the admin, within the server's
 * timeout; any failure is the answer's error, as text.
 */
export async function discoverServer(
  gateway: Gateway,
  logger: Logger,
  server: McpServer,
  adminId: string,
): Promise<Discovery> {
  const { tools, prompts } = gateway.aggregate.catalogs;
  const connection = adminConnection(gateway, logger, server, adminId);
  try {
    const fromCatalog = async (catalog: NamedCatalog) => backendItems(await catalog.items(connection)) ?? [];
    const listedTools = await fromCatalog(tools);
    const listedPrompts = await fromCatalog(prompts);
    const resources: DiscoveredResource[] = [];
    let moreResources = false;
    if ((await connection.capabilities())?.resources) {
      const listed = await connection.request({ method: "resources/list", params: {} }, ResourcePage);
      for (const resource of listed.resources) {
        resources.push({
          uri: resource.uri,
          name: resource.name,
          description: resource.description ?? "",
          template: false,
        });
      }
      // Templates are optional for a backend offering resources: one that has none may refuse the method.
      const templates = await connection
        .request({ method: "resources/templates/list", params: {} }, TemplatePage)
        .catch(() => ({ resourceTemplates: [], nextCursor: undefined }));
      for (const template of templates.resourceTemplates) {
        resources.push({
          uri: template.uriTemplate,
          name: template.name,
          description: template.description ?? "",
          template: true,
        });
      }
      moreResources = listed.nextCursor !== undefined || templates.nextCursor !== undefined;
    }
    return { ok: true, tools: listedTools, prompts: listedPrompts, resources, moreResources };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await connection.close();
  }
}
