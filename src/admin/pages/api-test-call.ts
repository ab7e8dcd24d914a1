import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { AppContext } from "../../context.ts";
import { VERSION } from "../../gateway/aggregate/version.ts";
import type { McpServer } from "../../gateway/types.ts";
import { answers, type ReadAnswer, raced, readAnswer } from "./api-test-answer.ts";

/** `client_id` of the tokens the API test page mints: how activity rows name its calls. */
export const API_TEST_CLIENT_ID = "authmcp-admin-api-test";

/** One request of the call and the gateway's answer to it. */
export interface RpcExchange {
  /** The JSON-RPC message sent (its headers are the MCP client's; the bearer token is not shown). */
  request: Record<string, unknown>;
  /** Undefined when no answer came (the call timed out or failed before). */
  answer?: ReadAnswer;
}

export type CallOutcome =
  | { kind: "result"; isError: boolean }
  | { kind: "rpc_error"; code: unknown; message: string }
  | { kind: "http_error"; status: number }
  /** The answer ended without the response to the request. */
  | { kind: "no_answer" }
  | { kind: "timeout"; timeoutMs: number }
  | { kind: "failed"; message: string };

export interface ApiTestCall {
  /** `initialize`, then (when it succeeded) `notifications/initialized` and `tools/call`. */
  exchanges: RpcExchange[];
  /** What the last exchange came to. */
  outcome: CallOutcome;
  latencyMs: number;
}

/** The per-server MCP endpoint's handler, as the listening server dispatches `/mcp/{server}`. */
export type McpDispatch = (request: Request, serverName: string) => Promise<Response>;

type TimedOut = { timedOut: true };
const TIMED_OUT: TimedOut = { timedOut: true };

function outcomeOf(answer: ReadAnswer, id: number): CallOutcome {
  const response = answer.messages.find((message) => answers(message, id));
  if (response !== undefined && "error" in response) {
    const error = (response.error ?? {}) as { code?: unknown; message?: unknown };
    return { kind: "rpc_error", code: error.code, message: String(error.message ?? "") };
  }
  if (answer.status < 200 || answer.status >= 300) return { kind: "http_error", status: answer.status };
  if (response === undefined) return { kind: "no_answer" };
  const result = response.result as { isError?: unknown } | undefined;
  return { kind: "result", isError: result?.isError === true };
}

/**
 * Calls `tool` on `server` as the signed-in admin, the way an MCP client does: a bearer token for
 * the server's resource, minted for this call only (lifetime: the call's timeout, rounded up to
 * seconds, plus one; never shown, logged or stored, and revoked when the call is over), then
 * `initialize`, `notifications/initialized` and `tools/call` on `/mcp/{server}`, and `DELETE` of the
 * session. Each request goes to the same handler the listening server routes `/mcp/{server}` to
 * (`dispatch`), in process: bearer check, grants and tool rules, rate limit and activity row are the
 * ones every client meets, and the call needs neither the gateway's public URL (which may sit
 * behind a proxy) nor its listening address. The whole call is bounded by ADMIN_API_TEST_TIMEOUT_MS.
 */
export async function callToolAsAdmin(
  ctx: AppContext,
  dispatch: McpDispatch,
  server: McpServer,
  adminId: string,
  call: { tool: string; arguments: Record<string, unknown> },
): Promise<ApiTestCall> {
  const { adminApiTestTimeoutMs: timeoutMs, adminApiTestMaxAnswerBytes: maxBytes } = ctx.config;
  const started = performance.now();
  const url = ctx.resources.serverResource(server.name);
  const issued = await ctx.accessTokens.issue({
    subject: adminId,
    audience: url,
    clientId: API_TEST_CLIENT_ID,
    scope: server.scopes.join(" "),
    ttlSeconds: Math.ceil(timeoutMs / 1000) + 1,
  });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(TIMED_OUT), timeoutMs);
  let sessionId: string | null = null;
  let protocolVersion: string | undefined;
  const exchanges: RpcExchange[] = [];

  const headers = () => {
    const list = new Headers({
      authorization: `Bearer ${issued.token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "user-agent": `authmcp-admin-api-test/${VERSION}`,
    });
    if (sessionId !== null) list.set("mcp-session-id", sessionId);
    if (protocolVersion !== undefined) list.set("mcp-protocol-version", protocolVersion);
    return list;
  };
  const send = async (message: Record<string, unknown>): Promise<ReadAnswer> => {
    const exchange: RpcExchange = { request: message };
    exchanges.push(exchange);
    const request = new Request(url, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(message),
      signal: deadline.signal,
    });
    const response = await raced(dispatch(request, server.name), deadline.signal);
    if (!sessionId) sessionId = response.headers.get("mcp-session-id");
    const id = typeof message.id === "number" ? message.id : undefined;
    exchange.answer = await readAnswer(response, id, maxBytes, deadline.signal);
    return exchange.answer;
  };

  const run = async (): Promise<CallOutcome> => {
    try {
      const initialized = await send({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: API_TEST_CLIENT_ID, version: VERSION },
        },
      });
      const start = outcomeOf(initialized, 1);
      if (start.kind !== "result") return start;
      const result = initialized.messages.find((message) => answers(message, 1))?.result as
        | { protocolVersion?: unknown }
        | undefined;
      if (typeof result?.protocolVersion === "string") protocolVersion = result.protocolVersion;
      const notified = await send({ jsonrpc: "2.0", method: "notifications/initialized" });
      if (notified.status >= 300) return { kind: "http_error", status: notified.status };
      const answer = await send({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: call.tool, arguments: call.arguments },
      });
      return outcomeOf(answer, 2);
    } catch (error) {
      if (deadline.signal.aborted && deadline.signal.reason === TIMED_OUT)
        return { kind: "timeout", timeoutMs };
      return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
      deadline.abort(); // ends whatever is still being answered
    }
  };

  const outcome = await run();
  const latencyMs = Math.round(performance.now() - started);
  const cleanup = endSession(
    dispatch,
    server.name,
    url,
    sessionId === null ? undefined : headers(),
    timeoutMs,
  )
    .then(() => ctx.revocations.revoke(issued.jti, issued.expiresAt))
    .catch((error: unknown) =>
      ctx.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "API test clean-up failed",
      ),
    );
  // After a timeout the backend may hang on the DELETE too: the page does not wait for it again.
  if (outcome.kind !== "timeout") await cleanup;
  return { exchanges, outcome, latencyMs };
}

/** DELETE of the call's MCP session (the gateway's session store has a per-user cap); its own bound. */
async function endSession(
  dispatch: McpDispatch,
  serverName: string,
  url: string,
  headers: Headers | undefined,
  timeoutMs: number,
): Promise<void> {
  if (headers === undefined) return;
  try {
    const request = new Request(url, {
      method: "DELETE",
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const response = await dispatch(request, serverName);
    await response.body?.cancel();
  } catch {
    // The backend forgets an idle session on its own; nothing to show for a failed goodbye.
  }
}
