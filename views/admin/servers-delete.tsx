import type { McpServer } from "../../src/gateway/types.ts";
import { AdminShell } from "./shell.tsx";

/** `/admin/servers/{id}/delete`: the confirmation step before a server is deleted. */
export function ServerDeletePage(props: {
  username: string;
  csrfToken: string;
  server: McpServer;
  grants: number;
}) {
  const { server } = props;
  const detail = `/admin/servers/${encodeURIComponent(server.id)}`;
  return (
    <AdminShell
      title={`Delete server ${server.name}?`}
      current="/admin/servers"
      username={props.username}
      csrfToken={props.csrfToken}
    >
      <section class="card">
        <p safe>
          {`Deleting ${server.name} ends its use through the gateway at once: /mcp/${server.name} answers 404, its tools leave /mcp, and its ${props.grants} grant${props.grants === 1 ? "" : "s"}${server.credentialKind === "none" ? "" : " and its stored credential"} are removed. This cannot be undone.`}
        </p>
        <form method="post" action={`${detail}/delete`} class="inline">
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <button type="submit" class="danger">
            Delete server
          </button>
        </form>{" "}
        <a href={detail}>Cancel</a>
      </section>
    </AdminShell>
  );
}
