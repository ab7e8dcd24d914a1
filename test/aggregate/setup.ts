import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { adminAndUser, createServer, sdkClient } from "../gateway/helpers.ts";
import { login } from "../support/context.ts";
import { type ListeningGateway, listeningGateway } from "../support/server.ts";
import { startToolBackend, type ToolBackend } from "./backends.ts";

export interface AggregateSetup {
  gateway: ListeningGateway;
  backends: Record<"alpha" | "beta" | "gamma", ToolBackend>;
  serverIds: Record<"alpha" | "beta" | "gamma", string>;
  users: Awaited<ReturnType<typeof adminAndUser>>;
  /** A token for the aggregate resource `{public}/mcp`. */
  tokenFor(username: string): Promise<string>;
  connect(username: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
  close(): Promise<void>;
}

/**
 * A listening gateway with three real SDK backends (alpha, beta, gamma: the same tool names on
 * each; beta and gamma also offer prompts, resources, completions and logging). alice is granted alpha and beta; root is an
 * admin (all three).
 */
export async function aggregateSetup(
  env: Record<string, string> = {},
  extraTools: Partial<Record<"alpha" | "beta" | "gamma", string[]>> = {},
): Promise<AggregateSetup> {
  const backends = {
    alpha: await startToolBackend("alpha", { extraTools: extraTools.alpha }),
    beta: await startToolBackend("beta", { extraTools: extraTools.beta, rich: true }),
    gamma: await startToolBackend("gamma", { extraTools: extraTools.gamma, rich: true }),
  };
  const gateway = await listeningGateway({ ALLOWED_ORIGINS: "https://app.example", ...env });
  const users = await adminAndUser(gateway);
  const serverIds = {} as Record<"alpha" | "beta" | "gamma", string>;
  for (const name of ["alpha", "beta", "gamma"] as const) {
    const server = await createServer(gateway, users.adminToken, {
      name,
      url: backends[name].url,
      credential: { type: "bearer", token: `backend-secret-${name}` },
    });
    serverIds[name] = server.id;
  }
  for (const name of ["alpha", "beta"] as const) {
    await gateway.request(`/admin/api/mcp-servers/${serverIds[name]}/users/${users.user.id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${users.adminToken}` },
    });
  }
  const tokenFor = async (username: string) =>
    (await login(gateway, username, { resource: `${gateway.url}/mcp` })).access_token;
  return {
    gateway,
    backends,
    serverIds,
    users,
    tokenFor,
    connect: async (username) => sdkClient(`${gateway.url}/mcp`, await tokenFor(username)),
    close: async () => {
      await gateway.close();
      for (const backend of Object.values(backends)) await backend.stop();
    },
  };
}
