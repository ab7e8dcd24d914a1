import { Elysia } from "elysia";
import { z } from "zod";
import { RUNTIME_SETTING_KEYS } from "../../config/runtime/editable.ts";
import type { SettingProblem } from "../../config/runtime/service.ts";
import { settings } from "../../config/settings/index.ts";
import type { SettingKind, SettingSpec } from "../../config/settings/kinds.ts";
import type { AppContext } from "../../context.ts";
import { json, jsonError } from "../../http/errors.ts";
import { RotationRefused } from "../../oauth/keys.ts";
import { adminHandler, adminJsonHandler } from "../guard.ts";
import { adminSettingsPages } from "../pages/settings.ts";
import { withSchemas } from "./openapi-schemas.ts";

/** A JSON object of settings by config key; each key and value is checked by the runtime settings. */
const changeBody = z.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  { error: 'expected a JSON object of settings, like {"rateLimitLoginMax": 5}' },
);

/**
 * The change as the OpenAPI document shows it: each runtime setting with its kind and bounds, or
 * null for its default. The handler reads any JSON object and checks each key with the setting's
 * own schema, so that an unknown or fixed key is named in the answer rather than stripped.
 */
function documentedChange(): z.ZodType {
  const valueSchema = (kind: SettingKind | undefined): z.ZodType => {
    if (kind?.type === "bool") return z.boolean();
    if (kind?.type === "oneOf") return z.enum(kind.values as [string, ...string[]]);
    if (kind?.type === "int") return z.number().int().min(kind.min).max(kind.max);
    return z.unknown();
  };
  const shape = Object.fromEntries(
    RUNTIME_SETTING_KEYS.map((key) => {
      const spec = settings[key] as SettingSpec;
      return [key, valueSchema(spec.kind).nullable().optional().describe(`${spec.env}: ${spec.doc}`)];
    }),
  );
  return z.strictObject(shape);
}

/** 409 when every refused key is fixed by a start source; otherwise 400. Each problem names its key. */
export function refusedChange(problems: SettingProblem[]): Response {
  const conflict = problems.every((p) => p.fixed);
  const description = problems.map((p) => (p.key ? `${p.key}: ${p.message}` : p.message)).join("; ");
  return json(
    {
      error: conflict ? "setting_fixed" : "invalid_request",
      error_description: description,
      errors: Object.fromEntries(problems.map((p) => [p.key, p.message])),
    },
    conflict ? 409 : 400,
  );
}

/**
 * The runtime settings and the signing keys:
 * `GET /admin/api/settings` (every runtime-editable setting with its value, default, kind, source),
 * `PATCH /admin/api/settings` (`{key: value | null}`; null restores the default; all or nothing),
 * `GET /admin/api/signing-keys` and `POST /admin/api/signing-keys/rotate`.
 */
export function settingsApiRoutes(ctx: AppContext): Elysia {
  // Typed as a plain Elysia: the app's chain of plugins is at TypeScript's instantiation depth,
  // and nothing reads these routes' types.
  const routes = new Elysia({ name: "admin-api-settings" })
    // The page (/admin/settings) rides along: one plugin in the app's chain instead of two.
    .use(adminSettingsPages(ctx))
    .get(
      "/admin/api/settings",
      adminHandler(ctx, () => json({ settings: ctx.runtimeSettings.list() })),
    )
    .patch(
      "/admin/api/settings",
      withSchemas(
        adminJsonHandler(ctx, changeBody, (admin, body) => {
          const result = ctx.runtimeSettings.update(body, admin.id);
          if (!result.ok) return refusedChange(result.problems);
          return json({ changed: result.changed });
        }),
        { body: documentedChange() },
      ),
    )
    .get(
      "/admin/api/signing-keys",
      adminHandler(ctx, () => json({ algorithm: ctx.keys.algorithm, keys: ctx.keys.list() })),
    )
    .post(
      "/admin/api/signing-keys/rotate",
      adminHandler(ctx, async () => {
        try {
          const key = await ctx.keys.rotateLive(ctx.clock.now());
          return json({ rotated: key, keys: ctx.keys.list() });
        } catch (error) {
          if (error instanceof RotationRefused) return jsonError(409, "rotation_refused", error.message);
          throw error;
        }
      }),
    );
  return routes as unknown as Elysia;
}
