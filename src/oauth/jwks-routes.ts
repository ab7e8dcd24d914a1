import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";

/** The public signing keys (with kid), so resource servers and backends can verify our JWTs. */
export function jwksRoutes(ctx: AppContext) {
  return new Elysia({ name: "jwks-routes" }).get("/.well-known/jwks.json", () =>
    Response.json(ctx.keys.jwks(), {
      headers: {
        "Cache-Control": "public, max-age=300",
        "Access-Control-Allow-Origin": "*",
        "Content-Type": "application/jwk-set+json",
      },
    }),
  );
}
