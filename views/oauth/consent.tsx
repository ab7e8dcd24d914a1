import { escapeHtml } from "@kitajs/html";
import type { ClientDisplay } from "../../src/oauth/authorize.ts";
import { Layout } from "../layout.tsx";
import { ClientClaim } from "./client-claim.tsx";

export interface ConsentPageProps {
  csrfToken: string;
  username: string;
  client: ClientDisplay;
  /** Where the browser goes next (host, or scheme and host): prominent, a name cannot hide it. */
  redirectTarget: string;
  redirectUri: string;
  /** The server asked for, by the gateway's name for it. */
  server: string;
  resource: string;
  scope: string;
  /**
   * The person approved this client for this server before, but not with this redirect URI:
   * a one-click confirmation instead of a silent redirect (RFC 8252 §8.6).
   */
  approvedBefore: boolean;
  /** The authorize parameters, echoed as hidden fields. */
  params: Record<string, string>;
}

/** "Allow <client> to use <server>?" with approve / deny (POST /oauth/authorize). */
export function ConsentPage(props: ConsentPageProps) {
  const { csrfToken, username, client, redirectTarget, redirectUri, server, resource, scope, params } = props;
  const title = props.approvedBefore ? "Confirm sign-in" : "Authorize application";
  return (
    <Layout title={title} narrow username={username} csrfToken={csrfToken}>
      <h1>{title}</h1>
      <div class="card">
        <ClientClaim client={client}>
          wants to use <strong safe>{server}</strong> with your account.
        </ClientClaim>
        <p class="redirect-target">
          You will be sent to{" "}
          <strong class="redirect-host" safe>
            {redirectTarget}
          </strong>
        </p>
        {props.approvedBefore ? (
          <p class="note">
            You allowed this application before, but it now asks to return to an address you have not
            approved: <code safe>{redirectUri}</code>. Continue only if you started this sign-in just now.
          </p>
        ) : (
          ""
        )}
        <dl>
          <dt>Resource</dt>
          <dd>
            <code safe>{resource}</code>
          </dd>
          <dt>Scopes</dt>
          <dd>
            <code safe>{scope}</code>
          </dd>
        </dl>
        <form class="stack" method="post" action="/oauth/authorize">
          <input type="hidden" name="_csrf" value={csrfToken} />
          {Object.entries(params).map(([name, value]) => (
            <input type="hidden" name={escapeHtml(name)} value={escapeHtml(value)} />
          ))}
          <button type="submit" name="decision" value="approve">
            {props.approvedBefore ? "Continue" : "Allow"}
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </form>
      </div>
    </Layout>
  );
}
