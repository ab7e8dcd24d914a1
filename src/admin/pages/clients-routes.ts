import { Elysia } from "elysia";
import { ClientsListPage, type ClientsListProps } from "../../../views/admin/clients-list.tsx";
import type { AppContext } from "../../context.ts";
import type { OAuthClient } from "../../oauth/client-store.ts";
import type { OAuthServer } from "../../oauth/server.ts";
import { revokeClientTokens } from "../../oauth/token-issuer.ts";
import { htmlResponse } from "../../web/html.ts";
import {
  type AdminPageIdentity,
  adminFormPost,
  adminPageGuard,
  type RequestServer,
  recordPageChange,
} from "./guard.ts";

type Server = RequestServer;
const NO_PARSE = { parse: "none" } as const;
/** The form's redirect URI list: at most 20 lines (as registration allows) of at most 2048 characters. */
const REDIRECT_LINES_MAX = 20;
const FIELD_MAX = 2048;

/** What the admin_change event records of a client: never its secret hash. */
function clientSnapshot(client: OAuthClient | undefined) {
  if (!client) return undefined;
  const { secretHash: _omitted, ...rest } = client;
  return rest;
}

/**
 * `/admin/clients`: the stored OAuth clients for administrators. Every action is a plain form POST
 * with the session's CSRF token (checked with the Origin) and calls what the JSON admin API
 * (`/admin/api/oauth-clients`) calls: `clients.register` as "admin", `clientStore.approve`, and
 * `clientStore.delete` followed by `revokeClientTokens`; each success is an `admin_change` event.
 */
export function adminClientPages(ctx: AppContext, oauth: OAuthServer) {
  const guard = adminPageGuard(ctx);

  const adminPost = adminFormPost(ctx);

  const listPage = async (
    admin: AdminPageIdentity,
    status = 200,
    extra: Partial<Omit<ClientsListProps, "username" | "csrfToken" | "clients">> = {},
  ) => {
    const clients = oauth.clientStore.list().sort((a, b) => b.createdAt - a.createdAt);
    const html = await ClientsListPage({
      username: admin.username,
      csrfToken: admin.csrfToken,
      clients,
      ...extra,
    });
    return htmlResponse(html, status);
  };

  /** Approve or delete one client: admin, CSRF and the client checked, then `act`. */
  const clientAction =
    (act: (client: OAuthClient, admin: AdminPageIdentity) => string) =>
    async ({ request, params, server }: { request: Request; params: { id: string }; server: Server }) => {
      const post = await adminPost(request);
      if (post instanceof Response) return post;
      const { admin, fields } = post;
      const client = oauth.clientStore.find(params.id);
      if (!client) return listPage(admin, 404, { errors: ["No such client (deleted?)."] });
      const notice = act(client, admin);
      const after = clientSnapshot(oauth.clientStore.find(client.clientId)) ?? null;
      await recordPageChange(
        ctx,
        admin,
        { request, server, params: params, fields },
        clientSnapshot(client),
        after,
      );
      return listPage(admin, 200, { notice });
    };

  return new Elysia({ name: "admin-pages-clients" })
    .get("/admin/clients", async ({ request }) => {
      const admin = await guard(request);
      if (admin instanceof Response) return admin;
      return listPage(admin);
    })
    .post(
      "/admin/clients",
      async ({ request, server }) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const values = {
          name: (fields.client_name ?? "").slice(0, FIELD_MAX),
          redirectUris: (fields.redirect_uris ?? "").slice(0, FIELD_MAX * REDIRECT_LINES_MAX),
          authMethod: (fields.token_endpoint_auth_method ?? "").slice(0, 40),
          refresh: fields.refresh_token === "on",
        };
        const redirectUris = values.redirectUris
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line.length > 0);
        // The same RFC 7591 validation as the JSON API and /oauth/register.
        const result = oauth.clients.register(
          {
            client_name: values.name,
            redirect_uris: redirectUris,
            token_endpoint_auth_method: values.authMethod,
            grant_types: values.refresh ? ["authorization_code", "refresh_token"] : ["authorization_code"],
          },
          "admin",
          "active",
        );
        if (!result.ok) return listPage(admin, 400, { errors: [sentence(result.description)], values });
        ctx.logger.info(
          { client_id: result.client.clientId, admin: admin.identity.principal.id },
          "oauth client pre-registered",
        );
        await recordPageChange(
          ctx,
          admin,
          { request, server, params: {}, fields },
          undefined,
          clientSnapshot(result.client),
        );
        return listPage(admin, 201, {
          created: { clientId: result.client.clientId, name: result.client.name, secret: result.secret },
        });
      },
      NO_PARSE,
    )
    .post(
      "/admin/clients/:id/approve",
      clientAction((client) => {
        oauth.clientStore.approve(client.clientId);
        return `Client ${client.name} approved: it may now ask users for authorization.`;
      }),
      NO_PARSE,
    )
    .post(
      "/admin/clients/:id/delete",
      clientAction((client, admin) => {
        oauth.clientStore.delete(client.clientId);
        // Its refresh tokens and its (stateless) access tokens end with it, for every user.
        revokeClientTokens(ctx, client.clientId);
        ctx.logger.info(
          { client_id: client.clientId, admin: admin.identity.principal.id },
          "oauth client deleted; its tokens revoked",
        );
        return `Client ${client.name} deleted: every token issued to it is revoked.`;
      }),
      NO_PARSE,
    );
}

/** "redirect_uris is required" → "redirect_uris is required." (the field name keeps its case). */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
