import type { UserDetailProps } from "../../../views/admin/users-detail.tsx";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { UserRow } from "../../identity/user-store.ts";
import type { PortalService } from "../../portal/service.ts";
import { DEFAULT_PAGE_SIZE } from "../api/list-query.ts";

/**
 * What a user's admin page shows: groups, direct grants, applications, tokens and sessions. The
 * groups to add the user to are one page of the groups whose name contains `groupQuery` (all
 * groups without it), like the admin's other lists: thousands of groups are searched, not listed.
 */
export function userDetailData(
  ctx: AppContext,
  gateway: Gateway,
  portal: PortalService,
  user: UserRow,
  groupQuery: string,
): Pick<
  UserDetailProps,
  | "user"
  | "groups"
  | "otherGroups"
  | "groupQuery"
  | "moreGroups"
  | "grants"
  | "applications"
  | "tokens"
  | "sessions"
> {
  const { groups, policy, registry } = gateway;
  const memberOf = policy.groupsOf(user.id) ?? new Set<string>();
  const mine = [...memberOf]
    .map((id) => groups.byId(id))
    .filter((group) => group !== undefined)
    .map(({ id, name }) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const choices = groups.page(groupQuery || undefined, DEFAULT_PAGE_SIZE, 0);
  const otherGroups = choices.rows
    .filter((group) => !memberOf.has(group.id))
    .map(({ id, name }) => ({ id, name }));
  const grants = registry.list().flatMap((server) => {
    const grant = policy.grantFor(server.id, "user", user.id);
    return grant
      ? [
          {
            id: grant.id,
            serverName: server.name,
            allowedTools: grant.allowedTools,
            deniedTools: grant.deniedTools,
          },
        ]
      : [];
  });
  return {
    user,
    groups: mine,
    otherGroups,
    groupQuery,
    moreGroups: choices.total > choices.rows.length,
    grants,
    applications: portal.applications(user.id),
    tokens: ctx.personalTokens.listForUser(user.id),
    sessions: ctx.browserSessions.listForUser(user.id),
  };
}
