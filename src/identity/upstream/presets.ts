import type { ProviderFields, ProviderType } from "./provider-schema.ts";

/** Where a provider lives and how its claims read, from its type and the few fields it needs. */
export type ProviderEndpoints =
  | {
      protocol: "oidc";
      issuer: string;
      /** The claim that says the email is verified (Entra ID: `xms_edov`, not `email_verified`). */
      emailVerifiedClaim: string;
    }
  | { protocol: "github"; webUrl: string; apiUrl: string };

const NAMES: Record<ProviderType, string> = {
  oidc: "single sign-on",
  google: "Google",
  entra: "Microsoft",
  okta: "Okta",
  keycloak: "Keycloak",
  auth0: "Auth0",
  gitlab: "GitLab",
  github: "GitHub",
};

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/**
 * The endpoints of a provider. Presets are OpenID Connect providers whose issuer follows from a
 * tenant, domain or realm; GitHub is OAuth 2.0 with its REST API for the profile.
 *
 * - Entra ID: the tenant's v2.0 issuer (a GUID tenant, so discovery's issuer matches exactly; the
 *   multi-tenant "common" endpoint has no fixed issuer). Entra's `email` claim is not verified
 *   (an admin of any tenant can set it: "nOAuth"); its optional claim `xms_edov` (email domain
 *   owner verified) is what counts as verified.
 * - Auth0's issuer ends with a slash; Okta's org authorization server has none.
 */
export function providerEndpoints(fields: ProviderFields): ProviderEndpoints {
  const oidc = (issuer: string, emailVerifiedClaim = "email_verified"): ProviderEndpoints => ({
    protocol: "oidc",
    issuer,
    emailVerifiedClaim,
  });
  switch (fields.type) {
    case "oidc":
      return oidc(fields.issuer as string);
    case "google":
      return oidc("https://accounts.google.com");
    case "entra":
      return oidc(`https://login.microsoftonline.com/${fields.tenant}/v2.0`, "xms_edov");
    case "okta":
      return oidc(
        fields.authorization_server
          ? `https://${fields.domain}/oauth2/${fields.authorization_server}`
          : `https://${fields.domain}`,
      );
    case "keycloak":
      return oidc(`${trimSlash(fields.base_url as string)}/realms/${fields.realm}`);
    case "auth0":
      return oidc(`https://${fields.domain}/`);
    case "gitlab":
      return oidc(trimSlash(fields.base_url ?? "https://gitlab.com"));
    case "github": {
      const webUrl = trimSlash(fields.base_url ?? "https://github.com");
      const apiUrl = trimSlash(
        fields.api_url ?? (fields.base_url ? `${webUrl}/api/v3` : "https://api.github.com"),
      );
      return { protocol: "github", webUrl, apiUrl };
    }
  }
}

/** The scopes asked for when the provider names none. */
export function providerScopes(fields: ProviderFields): string[] {
  if (fields.scopes) return fields.scopes;
  if (fields.type === "github") {
    // read:org to see private organisation and team memberships.
    const needsOrg =
      fields.allowed_organizations.length > 0 ||
      Object.keys(fields.group_mapping).length > 0 ||
      fields.required_groups.length > 0;
    return needsOrg ? ["read:user", "user:email", "read:org"] : ["read:user", "user:email"];
  }
  return ["openid", "email", "profile"];
}

export function providerDisplayName(fields: Pick<ProviderFields, "type" | "display_name">): string {
  return fields.display_name ?? NAMES[fields.type];
}
