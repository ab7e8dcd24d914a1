import type { AnyElysia, Elysia } from "elysia";
import pkg from "../../../package.json" with { type: "json" };
import type { AppContext } from "../../context.ts";
import { json } from "../../http/errors.ts";
import { sessionCookieName } from "../../identity/browser-auth.ts";
import { adminHandler } from "../guard.ts";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi-document.ts";

const OPENAPI_PATH = "/admin/api/openapi.json";

/**
 * `GET /admin/api/openapi.json`: the OpenAPI 3.1 description of the admin API, for administrators
 * like the rest of it. A functional plugin on purpose: `use` hands it the app itself, so the
 * document covers every route of that app (also those added after it); it is built on the first
 * request, when every route is in place, and kept for the app's lifetime.
 */
export const openApiRoutes =
  (ctx: AppContext) =>
  (app: AnyElysia): Elysia => {
    let document: OpenApiDocument | undefined;
    const describe = () => {
      document ??= buildOpenApiDocument(app.routes, {
        version: pkg.version,
        publicUrl: ctx.config.publicUrl,
        sessionCookie: sessionCookieName(ctx.config.publicUrl),
      });
      return document;
    };
    const handler = adminHandler(ctx, () => json(describe()));
    // Route methods add to `app` itself, and the returned app is the one `use` continues with:
    // returned as a plain Elysia, so the app's type gains nothing. The context of any app is untyped
    // here: pass on what the admin handler reads.
    app.get(OPENAPI_PATH, ({ request, params, server }) => handler({ request, params, server }), {
      detail: { summary: "This OpenAPI 3.1 description of the admin API", tags: ["openapi"] },
    });
    return app;
  };
