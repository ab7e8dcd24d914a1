import type { AccessPolicy } from "../../policy/access-policy.ts";
import type { GroupService } from "../../policy/groups.ts";
import { USERNAME_PATTERN, type UserService } from "../user-service.ts";
import type { UserRow } from "../user-store.ts";
import type { UpstreamIdentityStore } from "./identity-store.ts";
import { UpstreamLoginError, type UpstreamProfile, type UpstreamProvider } from "./types.ts";

export interface AccountDeps {
  users: UserService;
  identities: UpstreamIdentityStore;
  policy: AccessPolicy;
  groups: GroupService;
  now: () => number;
}

/**
 * From an upstream profile to a gateway user: the provider's restrictions, then the link by
 * (provider, subject), else by verified email when the provider allows it, else a new user when
 * just-in-time provisioning is on. Never a link by email alone: another provider (or a person who
 * set any email at a lax provider) could otherwise take over an account.
 */
export function resolveAccount(
  deps: AccountDeps,
  provider: UpstreamProvider,
  profile: UpstreamProfile,
): UserRow {
  checkRestrictions(provider, profile);
  const { users, identities } = deps;
  const linked = identities.find(provider.slug, profile.subject);
  let user: UserRow | undefined = linked ? users.byId(linked.userId) : undefined;
  if (!user && provider.fields.link_by_verified_email && profile.email && profile.emailVerified) {
    const byEmail = users.list().find((u) => u.email.toLowerCase() === profile.email);
    user = byEmail;
  }
  if (!user) {
    if (!provider.fields.jit_provisioning)
      throw new UpstreamLoginError(
        "not_provisioned",
        "There is no gateway account for you yet. Ask an administrator to create one.",
        403,
      );
    user = provision(users, provider, profile);
  }
  if (!user.isActive) throw new UpstreamLoginError("user_disabled", "Your gateway account is disabled.", 403);
  const now = deps.now();
  identities.save({
    provider: provider.slug,
    subject: profile.subject,
    userId: user.id,
    email: profile.email ?? null,
    groups: JSON.stringify(profile.groups),
    createdAt: linked?.createdAt ?? now,
    lastLoginAt: now,
  });
  users.touchLogin(user.id);
  if (provider.fields.sync_groups) syncGroups(deps, provider, profile, user.id);
  users.refreshPrincipal(user.id);
  return user;
}

function checkRestrictions(provider: UpstreamProvider, profile: UpstreamProfile): void {
  const { fields } = provider;
  if (fields.require_verified_email && !(profile.email && profile.emailVerified))
    throw new UpstreamLoginError(
      "email_not_verified",
      "Your identity provider did not confirm a verified email address.",
      403,
    );
  if (fields.allowed_email_domains.length > 0) {
    const domain = profile.email?.split("@").pop();
    const allowed = fields.allowed_email_domains.some((d) => d.toLowerCase() === domain);
    if (!domain || !allowed)
      throw new UpstreamLoginError(
        "email_domain_not_allowed",
        "Accounts of your email domain may not sign in here.",
        403,
      );
  }
  if (fields.required_groups.length > 0 && !fields.required_groups.some((g) => profile.groups.includes(g)))
    throw new UpstreamLoginError(
      "missing_required_group",
      "You are not in a group that may sign in here.",
      403,
    );
}

function provision(users: UserService, provider: UpstreamProvider, profile: UpstreamProfile): UserRow {
  // The users table needs a unique email: a person without one gets a placeholder that cannot receive mail.
  const email =
    profile.email ??
    `${profile.subject.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 60)}@${provider.slug}.upstream.invalid`;
  const base = usernameBase(profile, provider.slug);
  for (let attempt = 0; attempt < 20; attempt++) {
    const username = attempt === 0 ? base : `${base.slice(0, 56)}-${attempt + 1}`;
    const created = users.createExternal({ username, email });
    if (created.ok) return created.user;
    if (created.kind === "conflict" && created.field === "email")
      throw new UpstreamLoginError(
        "email_taken",
        "Another gateway account already uses your email address. Ask an administrator.",
        409,
      );
  }
  throw new UpstreamLoginError(
    "username_taken",
    "No free username could be derived for you. Ask an administrator.",
    409,
  );
}

function usernameBase(profile: UpstreamProfile, slug: string): string {
  const candidates = [profile.preferredUsername, profile.email?.split("@")[0], `${slug}-${profile.subject}`];
  for (const candidate of candidates) {
    const cleaned =
      candidate
        ?.replace(/[^A-Za-z0-9._-]/g, "-")
        .replace(/^[^A-Za-z0-9]+/, "")
        .slice(0, 64) ?? "";
    if (USERNAME_PATTERN.test(cleaned)) return cleaned;
  }
  return `${slug}-user`;
}

/**
 * Mapped gateway groups follow the upstream groups: joined when one of their upstream groups is
 * listed, left when none is. Gateway groups no mapping names are left alone (granted by hand).
 */
function syncGroups(
  deps: AccountDeps,
  provider: UpstreamProvider,
  profile: UpstreamProfile,
  userId: string,
): void {
  const wanted = new Map<string, boolean>();
  for (const [upstreamGroup, gatewayGroup] of Object.entries(provider.fields.group_mapping)) {
    const key = gatewayGroup.toLowerCase();
    wanted.set(key, (wanted.get(key) ?? false) || profile.groups.includes(upstreamGroup));
  }
  for (const [name, member] of wanted) {
    const group = deps.groups.page(name, 50, 0).rows.find((g) => g.name.toLowerCase() === name);
    if (!group) continue;
    const isMember = deps.policy.isMember(group.id, userId);
    if (member && !isMember) deps.policy.addMember(group.id, userId);
    if (!member && isMember) deps.policy.removeMember(group.id, userId);
  }
}
