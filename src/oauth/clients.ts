import type { Clock } from "../clock.ts";
import type { OAuthClientConfig } from "../config/structured.ts";
import { constantTimeEqual, randomToken, sha256Hex } from "../crypto/random.ts";
import type { CimdFetcher } from "./cimd.ts";
import { looksLikeCimd } from "./cimd.ts";
import { clientNameProblem } from "./client-name.ts";
import type { ClientStore, OAuthClient, TokenEndpointAuthMethod } from "./client-store.ts";
import { redirectUriProblem } from "./redirect-uri.ts";
import { DEFAULT_SCOPE, parseScope } from "./scopes.ts";

const GRANTS = new Set(["authorization_code", "refresh_token"]);
const AUTH_METHODS = new Set<string>(["none", "client_secret_basic", "client_secret_post"]);

export type RegistrationResult =
  | { ok: true; client: OAuthClient; secret?: string }
  | { ok: false; error: "invalid_redirect_uri" | "invalid_client_metadata"; description: string };

function stringArray(value: unknown, max: number): string[] | undefined {
  if (!Array.isArray(value) || value.length > max || !value.every((v) => typeof v === "string"))
    return undefined;
  return value as string[];
}

export type ClientAuthResult =
  | { ok: true; client: OAuthClient; authenticated: boolean }
  | {
      ok: false;
      status: number;
      error: "invalid_client" | "invalid_request";
      description: string;
      basic: boolean;
    };

/** Client registration (RFC 7591), lookup (table or CIMD) and authentication at the token endpoint. */
export class ClientService {
  private readonly serviceUsers = new Map<string, string>();

  constructor(
    private readonly store: ClientStore,
    /** The metadata-document fetcher while OAUTH_CIMD_ENABLED (read per lookup: a runtime setting). */
    private readonly cimd: () => CimdFetcher | undefined,
    private readonly clock: Clock,
    /** Every scope some resource accepts: what a client may register for. */
    private readonly knownScopes: () => Set<string>,
  ) {}

  /** Validates RFC 7591 metadata and stores the client; `status` pending in approval mode. */
  register(body: unknown, source: OAuthClient["source"], status: OAuthClient["status"]): RegistrationResult {
    const bad = (description: string) =>
      ({ ok: false, error: "invalid_client_metadata", description }) as const;
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return bad("expected a JSON object");
    const m = body as Record<string, unknown>;
    const grantTypes = m.grant_types === undefined ? ["authorization_code"] : stringArray(m.grant_types, 5);
    if (!grantTypes || grantTypes.length === 0) return bad("grant_types must be a list of grant types");
    if (grantTypes.includes("client_credentials")) {
      return bad(
        "client_credentials is available only to clients of the config file (oauth_clients) with a service_user",
      );
    }
    for (const g of grantTypes) if (!GRANTS.has(g)) return bad(`unsupported grant type ${g.slice(0, 60)}`);
    const responseTypes =
      m.response_types === undefined
        ? grantTypes.includes("authorization_code")
          ? ["code"]
          : []
        : stringArray(m.response_types, 5);
    if (!responseTypes) return bad("response_types must be a list");
    for (const r of responseTypes)
      if (r !== "code") return bad(`unsupported response type ${r.slice(0, 60)}`);
    if (grantTypes.includes("authorization_code") !== responseTypes.includes("code")) {
      return bad("grant_types authorization_code and response_types code go together");
    }
    if (grantTypes.includes("refresh_token") && !grantTypes.includes("authorization_code")) {
      return bad("refresh_token needs authorization_code");
    }
    const methodRaw = m.token_endpoint_auth_method ?? "client_secret_basic";
    if (typeof methodRaw !== "string" || !AUTH_METHODS.has(methodRaw)) {
      return bad("token_endpoint_auth_method must be none, client_secret_basic or client_secret_post");
    }
    const method = methodRaw as TokenEndpointAuthMethod;
    const redirectUris = m.redirect_uris === undefined ? [] : stringArray(m.redirect_uris, 20);
    if (!redirectUris)
      return {
        ok: false,
        error: "invalid_redirect_uri",
        description: "redirect_uris must be a list of URIs",
      };
    if (grantTypes.includes("authorization_code") && redirectUris.length === 0) {
      return { ok: false, error: "invalid_redirect_uri", description: "redirect_uris is required" };
    }
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri);
      if (problem) return { ok: false, error: "invalid_redirect_uri", description: problem };
    }
    const name = m.client_name ?? "Unnamed client";
    const nameProblem = clientNameProblem(name);
    if (nameProblem || typeof name !== "string") return bad(nameProblem ?? "client_name must be text");
    // Any scope some resource accepts; each authorization request is then checked per resource.
    const scope =
      m.scope === undefined
        ? DEFAULT_SCOPE
        : parseScope(typeof m.scope === "string" ? m.scope : undefined, [...this.knownScopes()]);
    if (m.scope !== undefined && (typeof m.scope !== "string" || scope === undefined))
      return bad("unknown scope");
    const secret = method === "none" ? undefined : randomToken(32);
    const client: OAuthClient = {
      clientId: randomToken(18),
      name: name.trim() || "Unnamed client",
      redirectUris,
      grantTypes,
      tokenEndpointAuthMethod: method,
      scope: scope ?? "mcp",
      source,
      status,
      secretHash: secret ? sha256Hex(secret) : null,
      createdAt: this.clock.now(),
    };
    this.store.insert(client);
    return { ok: true, client, secret };
  }

  /**
   * Makes the table's config-sourced clients equal to the config file's `oauth_clients`
   * (secrets hashed). Returns the problems of clients that were skipped.
   */
  syncConfigClients(configured: Record<string, OAuthClientConfig>): string[] {
    const problems: string[] = [];
    this.serviceUsers.clear();
    for (const existing of this.store.list()) {
      if (existing.source === "config") this.store.delete(existing.clientId);
    }
    for (const [clientId, c] of Object.entries(configured)) {
      const problem =
        c.redirect_uris.map(redirectUriProblem).find((p) => p !== undefined) ??
        clientNameProblem(c.client_name);
      if (problem) {
        problems.push(`oauth_clients.${clientId}: ${problem}`);
        continue;
      }
      if (this.store.find(clientId)) {
        problems.push(`oauth_clients.${clientId}: a client with this id is already registered`);
        continue;
      }
      this.store.insert({
        clientId,
        name: c.client_name,
        redirectUris: c.redirect_uris,
        grantTypes: c.grant_types ?? ["authorization_code", "refresh_token"],
        tokenEndpointAuthMethod: c.client_secret
          ? (c.token_endpoint_auth_method ?? "client_secret_basic")
          : "none",
        scope: "mcp",
        source: "config",
        status: "active",
        secretHash: c.client_secret ? sha256Hex(c.client_secret) : null,
        createdAt: this.clock.now(),
      });
      if (c.service_user) this.serviceUsers.set(clientId, c.service_user);
    }
    return problems;
  }

  /** The username a client_credentials client acts as (config file only). */
  serviceUser(clientId: string): string | undefined {
    return this.serviceUsers.get(clientId);
  }

  /** The client behind a client_id: a registered one, or a fetched metadata document. */
  async find(clientId: string): Promise<{ ok: true; client: OAuthClient } | { ok: false; reason: string }> {
    const cimd = this.cimd();
    if (cimd && looksLikeCimd(clientId)) {
      const result = await cimd.resolve(clientId);
      return result.ok ? result : { ok: false, reason: `client metadata document refused: ${result.reason}` };
    }
    const client = this.store.find(clientId);
    return client ? { ok: true, client } : { ok: false, reason: "unknown client" };
  }

  /** Authenticates the client of a token/revoke/introspect request as it registered (RFC 6749 §2.3). */
  async authenticate(request: Request, form: Record<string, string>): Promise<ClientAuthResult> {
    const header = request.headers.get("authorization");
    let clientId: string | undefined;
    let secret: string | undefined;
    let basic = false;
    if (header !== null) {
      const match = /^Basic ([A-Za-z0-9+/=]{1,2000})$/i.exec(header.trim());
      const decoded = match?.[1] ? Buffer.from(match[1], "base64").toString("utf8") : "";
      const colon = decoded.indexOf(":");
      if (colon <= 0) return invalidClient("malformed Basic authorization", true, 401);
      try {
        clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
        secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
      } catch {
        return invalidClient("malformed Basic authorization", true, 401);
      }
      basic = true;
      if (form.client_secret !== undefined) {
        return {
          ok: false,
          status: 400,
          error: "invalid_request",
          description: "use one client authentication method",
          basic,
        };
      }
      if (form.client_id !== undefined && form.client_id !== clientId) {
        return {
          ok: false,
          status: 400,
          error: "invalid_request",
          description: "client_id does not match the credentials",
          basic,
        };
      }
    } else {
      clientId = form.client_id;
      secret = form.client_secret;
    }
    if (!clientId) return invalidClient("client authentication is required", false, 401);
    const found = await this.find(clientId);
    if (!found.ok) return invalidClient(found.reason, basic, 401);
    const client = found.client;
    if (client.status !== "active") return invalidClient("the client is waiting for approval", basic, 401);
    if (client.tokenEndpointAuthMethod === "none") {
      if (secret !== undefined) return invalidClient("this client has no secret", basic, 401);
      return { ok: true, client, authenticated: false };
    }
    // Authenticated as registered (RFC 7591 token_endpoint_auth_method), not by any method at hand.
    if (basic !== (client.tokenEndpointAuthMethod === "client_secret_basic")) {
      return invalidClient(`this client authenticates with ${client.tokenEndpointAuthMethod}`, basic, 401);
    }
    if (secret === undefined || client.secretHash === null)
      return invalidClient("client authentication failed", basic, 401);
    if (!constantTimeEqual(sha256Hex(secret), client.secretHash))
      return invalidClient("client authentication failed", basic, 401);
    return { ok: true, client, authenticated: true };
  }
}

function invalidClient(description: string, basic: boolean, status: number): ClientAuthResult {
  return { ok: false, status, error: "invalid_client", description, basic };
}
