import type { z } from "zod";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import type { Grant } from "../policy/access-policy.ts";
import type { createGrantSchema } from "./api/policy-schema.ts";

export type GrantRequest = z.output<typeof createGrantSchema>;

export type GrantOutcome =
  | { ok: true; grant: Grant }
  | { ok: false; status: 404 | 409; field?: "user_id" | "group_id"; message: string };

/**
 * Grants a server to one user or group, with its tool lists, as the JSON API and the admin pages
 * both do: 404 for an unknown user or group, 409 when that principal already has a grant on the
 * server (one grant per principal and server: a change is delete and add). The server is checked
 * by the caller.
 */
export function addServerGrant(
  ctx: AppContext,
  gateway: Gateway,
  serverId: string,
  request: GrantRequest,
): GrantOutcome {
  const { user_id, group_id, allowed_tools, denied_tools } = request;
  const principalType = user_id !== undefined ? "user" : "group";
  const principalId = (user_id ?? group_id) as string;
  if (principalType === "user" && !ctx.users.principal(principalId)) {
    return { ok: false, status: 404, field: "user_id", message: "no such user" };
  }
  if (principalType === "group" && !gateway.groups.byId(principalId)) {
    return { ok: false, status: 404, field: "group_id", message: "no such group" };
  }
  const existing = gateway.policy.grantFor(serverId, principalType, principalId);
  if (existing) {
    return {
      ok: false,
      status: 409,
      message: `this ${principalType} already has grant ${existing.id} on this server; delete it first`,
    };
  }
  const grant = gateway.policy.addGrant({
    serverId,
    principalType,
    principalId,
    allowedTools: allowed_tools ?? null,
    deniedTools: denied_tools ?? [],
  });
  return { ok: true, grant };
}

/** Removes the grant when it is one of this server's; the grant removed, or undefined (404). */
export function removeServerGrant(gateway: Gateway, serverId: string, grantId: string): Grant | undefined {
  const grant = gateway.policy.grant(grantId);
  if (!grant || grant.serverId !== serverId) return undefined;
  gateway.policy.removeGrant(grant.id);
  return grant;
}
