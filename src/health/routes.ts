import { sql } from "drizzle-orm";
import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { migrationsApplied } from "../db/migrate.ts";
import { json } from "../http/errors.ts";

/** Extra facts for /readyz that do not decide readiness (for example backend health). */
export type ReadinessDetail = () => Record<string, unknown>;

/** Liveness and readiness: /healthz answers while the process runs; /readyz checks the database. */
export function healthRoutes(ctx: AppContext, details: ReadinessDetail[] = []) {
  return new Elysia({ name: "health-routes" })
    .get("/healthz", () => json({ status: "ok" }))
    .get("/readyz", () => {
      let database = "ok";
      let migrations = "ok";
      try {
        ctx.db.get(sql`SELECT 1`);
        if (!migrationsApplied(ctx.db)) migrations = "pending";
      } catch (error) {
        database = "unreachable";
        migrations = "unknown";
        ctx.logger.error({ err: error }, "readiness check: database unreachable");
      }
      const ready = database === "ok" && migrations === "ok";
      const extra = Object.assign({}, ...details.map((detail) => detail()));
      return json(
        { status: ready ? "ready" : "not_ready", checks: { database, migrations }, ...extra },
        ready ? 200 : 503,
      );
    });
}
