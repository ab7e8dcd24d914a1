import type { ClientConfig } from "../../src/admin/client-config.ts";

/** The copy-paste configurations of the MCP clients for one URL, folded away until opened. */
export function ClientConfigList({ clients }: { clients: readonly ClientConfig[] }) {
  return (
    <details class="clients">
      <summary>Client configuration</summary>
      {clients.map((config) => (
        <section class="client">
          <h4 safe>{config.client}</h4>
          <p class="hint" safe>
            In {config.where}:
          </p>
          <pre class="snippet">
            <code safe>{config.snippet}</code>
          </pre>
          {config.note ? (
            <p class="hint" safe>
              {config.note}
            </p>
          ) : (
            ""
          )}
        </section>
      ))}
    </details>
  );
}
