import type { Children } from "@kitajs/html";
import type { ClientDisplay } from "../../src/oauth/authorize.ts";

/**
 * The client's name as the consent and sign-in pages show it, followed by what it asks
 * (`children`). A self-registered name (dynamic registration, metadata document) is the client's
 * own claim: shown in quotes and marked unverified, never with anything that suggests the gateway
 * vouches for it (look-alike names are not filtered).
 */
export function ClientClaim({ client, children }: { client: ClientDisplay; children?: Children }) {
  if (!client.claimed) {
    return (
      <div class="client">
        <p>
          <strong safe>{client.name}</strong> <span class="muted">(registered by your administrator)</span>{" "}
          {children}
        </p>
      </div>
    );
  }
  return (
    <div class="client claimed">
      <p>
        An application that calls itself <strong safe>“{client.name}”</strong>{" "}
        <span class="badge unverified">unverified name</span> {children}
      </p>
      <p class="note">
        The application chose this name itself; the gateway has not checked it.
        {client.publishedBy ? (
          <>
            {" "}
            Its description is published by <strong safe>{client.publishedBy}</strong>.
          </>
        ) : (
          ""
        )}
      </p>
    </div>
  );
}
