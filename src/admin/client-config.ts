import { isLoopbackHost } from "../config/load.ts";

/** One MCP client's configuration for one server, ready to paste. */
export interface ClientConfig {
  client: string;
  /** Where it goes: a command line, or the file it belongs in. */
  where: string;
  snippet: string;
  note?: string;
}

/** The environment variable Codex reads the bearer token from, per server. */
export function tokenVariable(serverName: string): string {
  return `AUTHMCP_TOKEN_${serverName.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * Configurations of the MCP clients people use, for the server `name` served at `url`
 * (`{publicUrl}/mcp/{name}`). Checked against each client's documentation (December 2026):
 * Claude Code `claude mcp add --transport http`; Claude Desktop through `mcp-remote` (it speaks
 * stdio only to local commands; `--allow-http` is needed for http:// on a host other than localhost);
 * Cursor `mcpServers.NAME.url`; VS Code `servers.NAME` with `type: "http"`; Codex `[mcp_servers.NAME]`
 * with `url` and `bearer_token_env_var`; MCP Inspector's UI with transport "Streamable HTTP".
 * Server names are `[a-z0-9-]`: valid as JSON keys, TOML bare keys and shell words as they are.
 */
export function clientConfigs(name: string, url: string, publicUrl: string): ClientConfig[] {
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const parsed = new URL(url);
  const insecure = parsed.protocol === "http:" && !isLoopbackHost(parsed.hostname);
  const remoteArgs = ["-y", "mcp-remote", url, ...(insecure ? ["--allow-http"] : [])];
  const variable = tokenVariable(name);
  return [
    {
      client: "Claude Code",
      where: "a terminal",
      snippet: `claude mcp add --transport http ${name} ${url}`,
      note: "Then /mcp in Claude Code signs you in through the browser.",
    },
    {
      client: "Claude Desktop",
      where: "claude_desktop_config.json (Settings → Developer → Edit Config)",
      snippet: json({ mcpServers: { [name]: { command: "npx", args: remoteArgs } } }),
      note: "mcp-remote (Node.js) opens the browser to sign in and keeps the tokens in ~/.mcp-auth.",
    },
    {
      client: "Cursor",
      where: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
      snippet: json({ mcpServers: { [name]: { url } } }),
    },
    {
      client: "VS Code",
      where: ".vscode/mcp.json (or MCP: Open User Configuration)",
      snippet: json({ servers: { [name]: { type: "http", url } } }),
    },
    {
      client: "Codex",
      where: "~/.codex/config.toml",
      snippet: `[mcp_servers.${name}]\nurl = "${url}"\nbearer_token_env_var = "${variable}"`,
      note: `${variable} holds an access token for this server: the access_token of POST ${publicUrl}/auth/login with {"username", "password", "resource": "${url}"} (it expires; without the bearer_token_env_var line, \`codex mcp login ${name}\` signs in through the browser instead).`,
    },
    {
      client: "MCP Inspector",
      where: "a terminal",
      snippet: "npx @modelcontextprotocol/inspector",
      note: `In the page it opens: Transport Type "Streamable HTTP", URL ${url}, Connect (it signs in through the browser).`,
    },
  ];
}
