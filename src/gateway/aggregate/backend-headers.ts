import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Clock } from "../../clock.ts";
import type { KeyStore } from "../../oauth/keys.ts";
import { type BackendAuth, SignInAgain } from "../backend-auth.ts";
import type { McpServer } from "../types.ts";
import { type Caller, userContextHeaders } from "../user-context.ts";

export interface BackendHeaderDeps {
  backendAuth: BackendAuth;
  keys: KeyStore;
  clock: Clock;
  publicUrl: string;
  userAssertionSeconds: number;
}

/**
 * The headers a backend receives from the aggregator: the gateway's credential for it plus the
 * user context, built as the per-server proxy builds them (never the client's own token). No user
 * context for a server without auth, as the proxy sends none there either.
 */
export function backendHeaders(
  server: McpServer,
  caller: Caller,
  deps: BackendHeaderDeps,
): Record<string, string> | Promise<Record<string, string>> {
  // The common case, without a promise: a credential at hand and no user context to sign.
  const ready = deps.backendAuth.ready(server.id);
  if (ready !== undefined && (!server.authRequired || server.userContext === "none")) return ready;
  return builtHeaders(server, caller, deps, ready);
}

async function builtHeaders(
  server: McpServer,
  caller: Caller,
  deps: BackendHeaderDeps,
  ready: Record<string, string> | undefined,
): Promise<Record<string, string>> {
  let credential: Record<string, string>;
  try {
    credential = ready ?? (await deps.backendAuth.headers(server.id, caller.principal.id));
  } catch (error) {
    // No upstream token of the person's own (`upstream_user_token`): an McpError reaches the
    // client as it is, so they learn where to sign in again, as on /mcp/{server}.
    if (error instanceof SignInAgain) throw new McpError(-32001, error.message);
    throw error;
  }
  if (!server.authRequired || server.userContext === "none") return credential;
  const context = await userContextHeaders(
    server,
    caller,
    deps.keys,
    deps.publicUrl,
    deps.clock.now(),
    deps.userAssertionSeconds,
  );
  return { ...credential, ...context };
}
