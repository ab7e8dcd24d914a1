import { escapeHtml } from "@kitajs/html";
import { Layout } from "../layout.tsx";

export interface ConsentPageProps {
  csrfToken: string;
  username: string;
  clientName: string;
  /** Where the browser goes next: shown prominently so a look-alike name cannot hide it. */
  redirectHost: string;
  resource: string;
  scope: string;
  /** The authorize parameters, echoed as hidden fields. */
  params: Record<string, string>;
}

/** "Allow <client> to use <resource>?" with approve / deny (POST /oauth/authorize). */
export function ConsentPage(props: ConsentPageProps) {
  const { csrfToken, username, clientName, redirectHost, resource, scope, params } = props;
  return (
    <Layout title="Authorize application" narrow username={username} csrfToken={csrfToken}>
      <h1>Authorize application</h1>
      <div class="card">
        <p>
          <strong safe>{clientName}</strong> wants to use your account.
        </p>
        <p>
          You will be sent to{" "}
          <strong class="redirect-host" safe>
            {redirectHost}
          </strong>
        </p>
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
            Allow
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </form>
      </div>
    </Layout>
  );
}
