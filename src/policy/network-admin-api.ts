import { Elysia } from "elysia";
import { z } from "zod";
import { adminHandler, adminJsonHandler, type IdParams, notFound } from "../admin/guard.ts";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import { json, jsonError } from "../http/errors.ts";
import type { NetworkPolicy } from "./network-policy.ts";
import { networkListSchema } from "./network-schema.ts";
import type { NetworkSubject } from "./network-store.ts";

const NO_PARSE = { parse: "none" } as const;
/** A route's one-line summary for the OpenAPI document (src/admin/api/openapi-document.ts). */
const doc = (summary: string) => ({ detail: { summary } });
const noParse = (summary: string) => ({ ...NO_PARSE, ...doc(summary) });

const listBody = z.strictObject({ networks: networkListSchema });

/**
 * `…/mcp-servers/{id}/allowed-networks`, `…/users/{id}/allowed-networks` and
 * `…/groups/{id}/allowed-networks`: GET, PUT `{networks: ["10.0.0.0/8", …]}` (an empty list
 * removes it), DELETE. Semantics in `NetworkPolicy`; a change applies from the next request. A
 * server's list can also be given with the server itself (`allowed_networks`); a config-file
 * server's comes from the file and is read-only here.
 */
export function networkApiRoutes(ctx: AppContext, gateway: Gateway) {
  const networks: NetworkPolicy | undefined = gateway.policy.networks;
  const exists = (kind: NetworkSubject, id: string) =>
    kind === "server"
      ? gateway.registry.byId(id) !== undefined
      : kind === "group"
        ? gateway.groups.byId(id) !== undefined
        : ctx.users.byId(id) !== undefined;
  const view = (kind: NetworkSubject, id: string) => ({ allowed_networks: networks?.list(kind, id) ?? null });
  /** 404 when the subject does not exist; 409 for a config-file server's list. */
  const refused = (kind: NetworkSubject, id: string): Response | undefined => {
    if (!exists(kind, id)) return notFound(kind);
    if (kind === "server" && networks?.configManaged(id)) {
      return jsonError(409, "conflict", "this server's allowed networks are managed by the config file");
    }
    return undefined;
  };

  const read = (kind: NetworkSubject) =>
    adminHandler(ctx, (_admin, { id }: IdParams) =>
      exists(kind, id) ? json(view(kind, id)) : notFound(kind),
    );
  const write = (kind: NetworkSubject) =>
    adminJsonHandler(
      ctx,
      listBody,
      (admin, body, { id }: IdParams) => {
        networks?.set(kind, id, body.networks);
        ctx.logger.info({ [kind]: id, by: admin.id, networks: body.networks }, "allowed networks set");
        return json(view(kind, id));
      },
      { before: ({ id }) => refused(kind, id), snapshot: ({ id }) => view(kind, id) },
    );
  const remove = (kind: NetworkSubject) =>
    adminHandler(
      ctx,
      (admin, { id }: IdParams) => {
        const problem = refused(kind, id);
        if (problem) return problem;
        networks?.set(kind, id, undefined);
        ctx.logger.info({ [kind]: id, by: admin.id }, "allowed networks removed");
        return json(view(kind, id));
      },
      { snapshot: ({ id }) => view(kind, id) },
    );

  return new Elysia({ name: "admin-api-networks" })
    .get("/admin/api/mcp-servers/:id/allowed-networks", read("server"), doc("A server's network allow-list"))
    .put(
      "/admin/api/mcp-servers/:id/allowed-networks",
      write("server"),
      noParse("Set a server's network allow-list (an empty list removes it)"),
    )
    .delete(
      "/admin/api/mcp-servers/:id/allowed-networks",
      remove("server"),
      noParse("Remove a server's network allow-list"),
    )
    .get("/admin/api/users/:id/allowed-networks", read("user"), doc("A user's network allow-list"))
    .put(
      "/admin/api/users/:id/allowed-networks",
      write("user"),
      noParse("Set a user's network allow-list (an empty list removes it)"),
    )
    .delete(
      "/admin/api/users/:id/allowed-networks",
      remove("user"),
      noParse("Remove a user's network allow-list"),
    )
    .get("/admin/api/groups/:id/allowed-networks", read("group"), doc("A group's network allow-list"))
    .put(
      "/admin/api/groups/:id/allowed-networks",
      write("group"),
      noParse("Set a group's network allow-list (an empty list removes it)"),
    )
    .delete(
      "/admin/api/groups/:id/allowed-networks",
      remove("group"),
      noParse("Remove a group's network allow-list"),
    );
}
