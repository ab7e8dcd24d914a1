/** A backend MCP server as the proxy sees it (config file or admin API). */
export interface McpServer {
  id: string;
  name: string;
  displayName: string;
  /** The backend's URL; empty for a stdio server. */
  url: string;
  transport: "streamable-http" | "sse" | "stdio";
  /** What a stdio server runs (env values are sealed apart: `ServerRegistry.stdioEnv`). */
  stdio?: StdioCommand;
  authRequired: boolean;
  scopes: string[];
  timeoutMs: number;
  enabled: boolean;
  openToAll: boolean;
  userContext: UserContextMode;
  credentialKind: CredentialKind;
  /** "config" when it comes from the config file's mcp_services (read-only in the API). */
  managedBy: "config" | "api";
  createdAt: number;
  updatedAt: number;
}

/** The command of a stdio server, as the admin API shows it: env names only, never their values. */
export interface StdioCommand {
  command: string;
  args: string[];
  cwd?: string;
  envNames: string[];
}

export type UserContextMode = "none" | "headers" | "jwt";
export type CredentialKind = "none" | "headers" | "bearer" | "client_credentials" | "upstream_user_token";

export type BackendCredential =
  | { kind: "none" }
  | { kind: "headers"; headers: Record<string, string> }
  | { kind: "bearer"; token: string }
  | {
      kind: "client_credentials";
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
    }
  /** The requesting person's own token at this upstream identity provider (src/identity/upstream). */
  | { kind: "upstream_user_token"; provider: string };
