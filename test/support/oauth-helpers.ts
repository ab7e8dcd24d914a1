import { sessionCookieName } from "../../src/identity/browser-auth.ts";
import { createUser, jsonInit, type TestGateway } from "./context.ts";

export const REDIRECT = "http://127.0.0.1:4567/callback";

export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString("base64url") };
}

export interface Registered {
  client_id: string;
  client_secret?: string;
}

export async function registerClient(
  gateway: TestGateway,
  metadata: Record<string, unknown> = {},
): Promise<Registered> {
  const response = await gateway.request(
    "/oauth/register",
    jsonInit({
      client_name: "Test client",
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      ...metadata,
    }),
  );
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Registered;
}

/** A user with a browser session; returns the Cookie header value and the CSRF token. */
export async function browserUser(gateway: TestGateway, username = "alice") {
  const user =
    gateway.ctx.users.list().find((u) => u.username === username) ?? (await createUser(gateway, username));
  const { cookieValue, session } = gateway.ctx.browserSessions.create(user.id, null);
  return {
    user,
    cookie: `${sessionCookieName(gateway.ctx.config.publicUrl)}=${cookieValue}`,
    csrf: gateway.ctx.browserSessions.csrfToken(session),
  };
}

export function authorizeQuery(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `/oauth/authorize?${q.toString()}`;
}

export function form(body: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(body).toString(),
  };
}

/** Runs authorize + consent (approve) for a user session and returns the code from the redirect. */
export async function obtainCode(
  gateway: TestGateway,
  session: { cookie: string; csrf: string },
  params: Record<string, string | undefined>,
): Promise<{ code: string; location: URL }> {
  const all = {
    response_type: "code",
    redirect_uri: REDIRECT,
    code_challenge_method: "S256",
    state: "st-1",
    ...params,
  };
  const body: Record<string, string> = { _csrf: session.csrf, decision: "approve" };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) body[k] = v;
  const response = await gateway.request(
    "/oauth/authorize",
    form(body, { cookie: session.cookie, origin: gateway.ctx.config.publicUrl }),
  );
  const location = response.headers.get("location");
  if (response.status !== 303 || !location)
    throw new Error(`consent failed: ${response.status} ${await response.text()}`);
  const url = new URL(location);
  const code = url.searchParams.get("code");
  if (!code) throw new Error(`no code: ${location}`);
  return { code, location: url };
}

export async function exchangeCode(
  gateway: TestGateway,
  clientId: string,
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
) {
  return gateway.request(
    "/oauth/token",
    form({
      grant_type: "authorization_code",
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      ...extra,
    }),
  );
}
