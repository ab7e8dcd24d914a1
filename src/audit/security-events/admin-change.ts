import type { AppContext } from "../../context.ts";
import type { clientIp } from "../../http/client-ip.ts";
import type { Principal } from "../../identity/user-service.ts";
import { maskSecrets } from "./mask.ts";
import { requestMeta } from "./request-meta.ts";

const CHANGING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** What the admin API's handlers (src/admin/guard.ts) know of one call. */
export interface AdminCallFacts {
  admin: Principal;
  request: Request;
  server: Parameters<typeof clientIp>[1];
  params: unknown;
  /** The validated JSON body, when the route has one. */
  body?: unknown;
  /** The item's state before the call, when the route can tell it. */
  before?: unknown;
  /** The item's state after the call (read again), when the route can tell it. */
  after?: unknown;
}

async function responseJson(response: Response): Promise<unknown> {
  if (!response.headers.get("content-type")?.includes("json")) return undefined;
  try {
    return await response.clone().json();
  } catch {
    return undefined;
  }
}

/**
 * Records an `admin_change` for a state-changing admin API call that succeeded: who (the admin),
 * what (method, route path, path parameters, the request body), and before → after when known
 * (after: the item read again, else the JSON the API answered; nothing after a DELETE), with
 * secrets masked (see maskSecrets). Refused and failed calls change nothing and record nothing.
 */
export async function recordAdminChange(
  ctx: AppContext,
  facts: AdminCallFacts,
  response: Response,
): Promise<void> {
  const { request } = facts;
  if (!CHANGING_METHODS.has(request.method) || response.status >= 400) return;
  const deleted = request.method === "DELETE";
  const after = deleted ? null : (facts.after ?? (await responseJson(response)));
  ctx.securityEvents.record({
    type: "admin_change",
    userId: facts.admin.id,
    ...requestMeta(ctx, request, facts.server),
    details: {
      action: `${request.method} ${new URL(request.url).pathname}`,
      admin: facts.admin.username,
      target: facts.params,
      ...(facts.body !== undefined ? { request: maskSecrets(facts.body) } : {}),
      ...(facts.before !== undefined ? { before: maskSecrets(facts.before) } : {}),
      after: maskSecrets(after),
      status: response.status,
    },
  });
}
