import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import { jsonError } from "../../http/errors.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./exposition.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";

/** Compares SHA-256 digests, so neither the length nor a prefix of METRICS_TOKEN leaks through timing. */
function sameToken(presented: string, expected: string): boolean {
  const a = new Bun.CryptoHasher("sha256").update(presented).digest();
  const b = new Bun.CryptoHasher("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `GET /metrics`: Prometheus text; behind `Authorization: Bearer METRICS_TOKEN` when that is set. */
export function metricsRoutes(ctx: AppContext, metrics: GatewayMetrics) {
  const token = ctx.config.metricsToken;
  return new Elysia({ name: "metrics" }).get("/metrics", ({ request }) => {
    if (token !== undefined) {
      const authorization = request.headers.get("authorization") ?? "";
      const presented = authorization.toLowerCase().startsWith("bearer ")
        ? authorization.slice(7).trim()
        : "";
      if (!sameToken(presented, token)) {
        return jsonError(401, "invalid_token", "GET /metrics requires the bearer token METRICS_TOKEN", {
          "WWW-Authenticate": 'Bearer realm="metrics"',
        });
      }
    }
    return new Response(metrics.render(), {
      headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE, "Cache-Control": "no-store" },
    });
  });
}
