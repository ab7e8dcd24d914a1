import { type AuditProbe, answered, rpcMessage } from "./probe.ts";
import type { Exchange, ListedTool } from "./types.ts";

/** A JWT-shaped token the server must refuse, and why. */
export interface ForgedToken {
  kind: "expired" | "wrong-audience" | "unsigned";
  initialize: Exchange;
}

/** Everything the audit fetched; the checks in ./checks/ are pure functions over it. */
export interface Observations {
  url: string;
  tokenGiven: boolean;
  noToken: { initialize: Exchange; toolsList?: Exchange; toolsCall: Exchange };
  malformedToken: { initialize: Exchange; toolsList?: Exchange };
  forged: ForgedToken[];
  withToken?: { initialize: Exchange; toolsList?: Exchange };
  /** `initialize` answers with the credential that got in, compared for predictable session ids. */
  sessionIds: string[];
  resourceMetadata?: { url: string; exchange: Exchange; document?: Record<string, unknown> };
  authServerMetadata?: { url: string; exchange: Exchange; document?: Record<string, unknown> };
  /** `initialize` with a foreign Origin and the credential that got in (none when nothing got in). */
  foreignOrigin?: Exchange;
  /** A CORS preflight from a foreign origin. */
  preflight: Exchange;
  /** Requests meant to fail (invalid JSON, unknown method), read for disclosure. */
  errorProbes: Exchange[];
  tools?: ListedTool[];
  /** Which credential listed the tools. */
  toolsVia?: "token" | "none" | "malformed";
}

export const FOREIGN_ORIGIN = "https://audit-foreign-origin.example";
const PROBE_TOOL = "authmcp_audit_probe";
const PROTOCOL_VERSION = "2025-06-18";
const MAX_TOOL_PAGES = 20;

const initializeBody = (id: number) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "authmcp-gateway-audit", version: "1" },
    },
  });

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** The requests of one audit, in order; every answer is kept for the checks. */
export async function collect(
  probe: AuditProbe,
  url: string,
  credential: Record<string, string> | undefined,
): Promise<Observations> {
  const post = (body: string, headers: Record<string, string> = {}) =>
    probe.send({ method: "POST", url, headers: { ...MCP_HEADERS, ...headers }, body });
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  /** initialize, then (when it got in) notifications/initialized and every page of tools/list. */
  const session = async (headers: Record<string, string>) => {
    const initialize = await post(initializeBody(1), headers);
    if (!answered(initialize)) return { initialize };
    const sessionId = initialize.headers["mcp-session-id"];
    const inSession = { ...headers, ...(sessionId ? { "mcp-session-id": sessionId } : {}) };
    await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), inSession);
    const toolsList = await listTools(post, inSession);
    return { initialize, toolsList, inSession };
  };

  const open = await session({});
  if (open.initialize.error !== undefined) {
    // Nothing answers (or not over valid TLS): every other request would fail the same way.
    return unreachable(url, credential !== undefined, open.initialize);
  }
  const toolsCall = await post(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: PROBE_TOOL, arguments: {} },
    }),
    open.inSession ?? {},
  );
  const malformed = await session(bearer("not-a-valid-token"));
  const forged: ForgedToken[] = [];
  for (const kind of ["expired", "wrong-audience", "unsigned"] as const) {
    forged.push({ kind, initialize: await post(initializeBody(1), bearer(forgedJwt(kind, url))) });
  }
  const given = credential === undefined ? undefined : await session(credential);

  // The credential that got in, for the probes that need an accepted request to mean anything.
  const listed = (s: { toolsList?: Exchange } | undefined) =>
    s?.toolsList !== undefined && answered(s.toolsList);
  const entry = listed(given)
    ? { headers: credential as Record<string, string>, via: "token" as const, listing: given as typeof open }
    : listed(open)
      ? { headers: {}, via: "none" as const, listing: open }
      : listed(malformed)
        ? { headers: bearer("not-a-valid-token"), via: "malformed" as const, listing: malformed }
        : undefined;

  const sessionIds: string[] = [];
  if (entry) {
    const first = entry.listing.initialize.headers["mcp-session-id"];
    if (first) sessionIds.push(first);
    for (let i = 0; i < 2 && first; i++) {
      const again = await post(initializeBody(1), entry.headers);
      const id = again.headers["mcp-session-id"];
      if (id) sessionIds.push(id);
    }
  }

  const challenge = open.initialize.status === 401 ? open.initialize.headers["www-authenticate"] : undefined;
  const resourceMetadata = await fetchResourceMetadata(probe, url, challenge);
  const issuer = firstString(resourceMetadata?.document?.authorization_servers);
  const authServerMetadata = issuer === undefined ? undefined : await fetchAuthServerMetadata(probe, issuer);

  const foreignOrigin = entry
    ? await post(initializeBody(1), { ...entry.headers, origin: FOREIGN_ORIGIN })
    : undefined;
  const preflight = await probe.send({
    method: "OPTIONS",
    url,
    headers: {
      origin: FOREIGN_ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
  const errorHeaders = entry ? { ...entry.headers, ...sessionHeader(entry.listing.initialize) } : {};
  const errorProbes = [
    await post('{"jsonrpc":"2.0","id":1,"method":', errorHeaders),
    await post(
      JSON.stringify({ jsonrpc: "2.0", id: 4, method: "authmcp/audit-unknown-method" }),
      errorHeaders,
    ),
  ];

  return {
    url,
    tokenGiven: credential !== undefined,
    noToken: { initialize: open.initialize, toolsList: open.toolsList, toolsCall },
    malformedToken: { initialize: malformed.initialize, toolsList: malformed.toolsList },
    forged,
    withToken: given === undefined ? undefined : { initialize: given.initialize, toolsList: given.toolsList },
    sessionIds,
    resourceMetadata,
    authServerMetadata,
    foreignOrigin,
    preflight,
    errorProbes,
    tools: entry ? toolsOf(entry.listing.toolsList) : undefined,
    toolsVia: entry?.via,
  };
}

function unreachable(url: string, tokenGiven: boolean, initialize: Exchange): Observations {
  return {
    url,
    tokenGiven,
    noToken: { initialize, toolsCall: initialize },
    malformedToken: { initialize },
    forged: [],
    sessionIds: [],
    preflight: initialize,
    errorProbes: [],
  };
}

type Post = (body: string, headers?: Record<string, string>) => Promise<Exchange>;

/** tools/list, following `nextCursor`; the exchange returned carries every page's tools in `body`. */
async function listTools(post: Post, headers: Record<string, string>): Promise<Exchange | undefined> {
  let cursor: string | undefined;
  let first: Exchange | undefined;
  const tools: unknown[] = [];
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const exchange = await post(
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: cursor ? { cursor } : {} }),
      headers,
    );
    first ??= exchange;
    if (!answered(exchange)) return first;
    const result = rpcMessage(exchange)?.result as { tools?: unknown; nextCursor?: unknown } | undefined;
    if (Array.isArray(result?.tools)) tools.push(...result.tools);
    if (typeof result?.nextCursor !== "string" || result.nextCursor === "") break;
    cursor = result.nextCursor;
  }
  if (first === undefined) return undefined;
  return {
    ...first,
    headers: { ...first.headers, "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, result: { tools } }),
  };
}

function toolsOf(exchange: Exchange | undefined): ListedTool[] | undefined {
  if (exchange === undefined) return undefined;
  const tools = (rpcMessage(exchange)?.result as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return undefined;
  return tools.filter(
    (tool): tool is ListedTool =>
      tool !== null && typeof tool === "object" && typeof (tool as { name?: unknown }).name === "string",
  );
}

function sessionHeader(initialize: Exchange): Record<string, string> {
  const id = initialize.headers["mcp-session-id"];
  return id ? { "mcp-session-id": id } : {};
}

function firstString(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined;
}

/** RFC 9728: the URL in the challenge's `resource_metadata`, else the well-known URLs of the resource. */
async function fetchResourceMetadata(
  probe: AuditProbe,
  url: string,
  challenge: string | undefined,
): Promise<Observations["resourceMetadata"]> {
  const fromChallenge = challenge ? /resource_metadata="([^"]+)"/i.exec(challenge)?.[1] : undefined;
  const target = new URL(url);
  const path = target.pathname === "/" ? "" : target.pathname;
  const candidates = [
    ...(fromChallenge ? [fromChallenge] : []),
    `${target.origin}/.well-known/oauth-protected-resource${path}`,
    `${target.origin}/.well-known/oauth-protected-resource`,
  ];
  return fetchFirstDocument(probe, [...new Set(candidates)]);
}

/** RFC 8414 (path inserted after the well-known prefix), then OpenID discovery. */
async function fetchAuthServerMetadata(
  probe: AuditProbe,
  issuer: string,
): Promise<Observations["authServerMetadata"]> {
  let parsed: URL;
  try {
    parsed = new URL(issuer);
  } catch {
    return undefined;
  }
  const path = parsed.pathname === "/" ? "" : parsed.pathname.replace(/\/$/, "");
  return fetchFirstDocument(probe, [
    `${parsed.origin}/.well-known/oauth-authorization-server${path}`,
    `${parsed.origin}/.well-known/openid-configuration${path}`,
    `${parsed.origin}${path}/.well-known/openid-configuration`,
  ]);
}

async function fetchFirstDocument(
  probe: AuditProbe,
  urls: readonly string[],
): Promise<{ url: string; exchange: Exchange; document?: Record<string, unknown> } | undefined> {
  let last: { url: string; exchange: Exchange } | undefined;
  for (const url of [...new Set(urls)]) {
    const exchange = await probe.send({ method: "GET", url, headers: { accept: "application/json" } });
    if (exchange.status === 200) {
      try {
        const document: unknown = JSON.parse(exchange.body);
        if (document !== null && typeof document === "object" && !Array.isArray(document)) {
          return { url, exchange, document: document as Record<string, unknown> };
        }
      } catch {
        // not JSON: try the next URL
      }
    }
    last = { url, exchange };
  }
  return last;
}

/** A JWT-shaped token no correct server accepts (signature from a random key, or none). */
function forgedJwt(kind: ForgedToken["kind"], url: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: new URL(url).origin,
    sub: "authmcp-audit",
    aud: kind === "wrong-audience" ? "https://audit-other-audience.example" : url,
    iat: now - 7200,
    exp: kind === "expired" ? now - 3600 : now + 3600,
    jti: crypto.randomUUID(),
  };
  const header = kind === "unsigned" ? { alg: "none", typ: "JWT" } : { alg: "HS256", typ: "JWT" };
  const signature =
    kind === "unsigned" ? "" : Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  return `${encode(header)}.${encode(claims)}.${signature}`;
}
