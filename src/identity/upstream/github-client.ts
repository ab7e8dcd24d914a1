import * as oauth from "oauth4webapi";
import { z } from "zod";
import { isLoopbackHost } from "../../config/load.ts";
import { type OidcClientOptions, tokenSet } from "./oidc-client.ts";
import {
  type AuthorizationSecrets,
  type UpstreamClient,
  UpstreamLoginError,
  type UpstreamProvider,
  UpstreamRefreshRefused,
  type UpstreamSignIn,
  type UpstreamTokenSet,
} from "./types.ts";

const userSchema = z.object({
  id: z.number().int(),
  login: z.string().min(1).max(100),
  name: z.string().max(500).nullish(),
});
const emailsSchema = z.array(
  z.object({ email: z.string().max(500), primary: z.boolean(), verified: z.boolean() }),
);
const orgsSchema = z.array(z.object({ login: z.string().max(100) }));
const teamsSchema = z.array(
  z.object({ slug: z.string().max(200), organization: z.object({ login: z.string().max(100) }) }),
);

/**
 * GitHub sign-in: OAuth 2.0 (no OpenID Connect, so no ID token and no nonce) with `state` and PKCE,
 * the code redeemed through oauth4webapi, then the REST API: the person's id, login and name from
 * `GET /user`, the primary email and whether it is verified from `GET /user/emails`, and, when the
 * provider restricts or maps by them, organisations (`GET /user/orgs`) and teams (`GET
 * /user/teams`, as `org/team`) as the groups. The numeric id is the subject: logins can be renamed
 * and then taken by someone else.
 */
export class GitHubClient implements UpstreamClient {
  private readonly as: oauth.AuthorizationServer;
  private readonly insecure: boolean;

  constructor(
    readonly provider: UpstreamProvider,
    private readonly endpoints: { webUrl: string; apiUrl: string; scopes: string[] },
    private readonly options: OidcClientOptions,
  ) {
    this.as = {
      issuer: endpoints.webUrl,
      authorization_endpoint: `${endpoints.webUrl}/login/oauth/authorize`,
      token_endpoint: `${endpoints.webUrl}/login/oauth/access_token`,
    };
    const insecureUrl = (url: string) => {
      const parsed = new URL(url);
      return parsed.protocol === "http:" && (isLoopbackHost(parsed.hostname) || options.allowInsecureHttp);
    };
    this.insecure = insecureUrl(endpoints.webUrl) || insecureUrl(endpoints.apiUrl);
  }

  async start(redirectUri: string): Promise<{ url: URL; secrets: AuthorizationSecrets }> {
    const secrets: AuthorizationSecrets = {
      state: oauth.generateRandomState(),
      nonce: "",
      codeVerifier: oauth.generateRandomCodeVerifier(),
      redirectUri,
    };
    const url = new URL(this.as.authorization_endpoint as string);
    url.searchParams.set("client_id", this.provider.fields.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("scope", this.endpoints.scopes.join(" "));
    url.searchParams.set("state", secrets.state);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(secrets.codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("allow_signup", "false");
    return { url, secrets };
  }

  async finish(callback: URL, secrets: AuthorizationSecrets): Promise<UpstreamSignIn> {
    const client: oauth.Client = { client_id: this.provider.fields.client_id };
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(this.as, client, callback.searchParams, secrets.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        const denied = error.error === "access_denied";
        throw new UpstreamLoginError(
          denied ? "access_denied" : "authorization_error",
          denied
            ? "The sign-in was cancelled or refused at GitHub."
            : `GitHub answered with an error (${error.error.slice(0, 100)}).`,
          denied ? 403 : 400,
        );
      }
      throw new UpstreamLoginError("invalid_response", "GitHub's answer was refused.");
    }
    let tokens: UpstreamTokenSet;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        this.as,
        client,
        this.clientAuth(),
        params,
        secrets.redirectUri,
        secrets.codeVerifier,
        {
          signal: AbortSignal.timeout(this.options.httpTimeoutMs),
          [oauth.allowInsecureRequests]: this.insecure,
        },
      );
      const answer = await oauth.processAuthorizationCodeResponse(this.as, client, response);
      tokens = tokenSet(answer, undefined, this.options.now());
    } catch {
      // GitHub answers a bad code with 200 and {"error": "bad_verification_code"}: no access_token.
      throw new UpstreamLoginError("token_error", "GitHub refused the code.", 502);
    }
    const accessToken = tokens.accessToken;
    const user = await this.api("/user", userSchema, accessToken);
    const emails = await this.api("/user/emails", emailsSchema, accessToken);
    const primary = emails.find((e) => e.primary);
    const fields = this.provider.fields;
    const wantsOrgs =
      fields.allowed_organizations.length > 0 ||
      fields.required_groups.length > 0 ||
      Object.keys(fields.group_mapping).length > 0;
    const groups: string[] = [];
    if (wantsOrgs) {
      const orgs = await this.api("/user/orgs?per_page=100", orgsSchema, accessToken);
      const teams = await this.api("/user/teams?per_page=100", teamsSchema, accessToken);
      groups.push(...orgs.map((o) => o.login), ...teams.map((t) => `${t.organization.login}/${t.slug}`));
      const allowed = fields.allowed_organizations.map((o) => o.toLowerCase());
      if (allowed.length > 0 && !orgs.some((o) => allowed.includes(o.login.toLowerCase())))
        throw new UpstreamLoginError(
          "organization_not_allowed",
          "You are not a member of an organisation that may sign in here.",
          403,
        );
    }
    const profile = {
      provider: this.provider.slug,
      subject: String(user.id),
      email: primary?.email.toLowerCase(),
      emailVerified: primary?.verified === true,
      name: user.name ?? undefined,
      preferredUsername: user.login,
      groups,
    };
    return { profile, tokens };
  }

  /** GitHub Apps' user tokens expire and come with a refresh token; OAuth Apps' tokens do not expire. */
  async refresh(refreshToken: string): Promise<UpstreamTokenSet> {
    const client: oauth.Client = { client_id: this.provider.fields.client_id };
    const response = await oauth.refreshTokenGrantRequest(this.as, client, this.clientAuth(), refreshToken, {
      signal: AbortSignal.timeout(this.options.httpTimeoutMs),
      [oauth.allowInsecureRequests]: this.insecure,
    });
    // GitHub answers a bad refresh token with 200 and {"error": "bad_refresh_token"}, which
    // oauth4webapi sees only as a missing access_token.
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    const code = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
    if (code === "bad_refresh_token" || code === "invalid_grant") throw new UpstreamRefreshRefused(code);
    try {
      return tokenSet(
        await oauth.processRefreshTokenResponse(this.as, client, response),
        refreshToken,
        this.options.now(),
      );
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === "invalid_grant")
        throw new UpstreamRefreshRefused(error.error);
      throw error;
    }
  }

  private clientAuth(): oauth.ClientAuth {
    return this.provider.clientSecret ? oauth.ClientSecretPost(this.provider.clientSecret) : oauth.None();
  }

  private async api<T>(path: string, schema: z.ZodType<T>, accessToken: string): Promise<T> {
    try {
      const response = await fetch(`${this.endpoints.apiUrl}${path}`, {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: "application/vnd.github+json",
          "x-github-api-version": "2022-11-28",
          "user-agent": "authmcp-gateway",
        },
        signal: AbortSignal.timeout(this.options.httpTimeoutMs),
        redirect: "error",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      return schema.parse(await response.json());
    } catch (error) {
      throw new UpstreamLoginError(
        "userinfo_failed",
        `GitHub's API did not answer as expected (${path.split("?")[0]}: ${error instanceof Error ? error.message.slice(0, 100) : "error"}).`,
        502,
      );
    }
  }
}
