import { escapeHtml } from "@kitajs/html";
import { FormErrors } from "../web/form-errors.tsx";
import { PortalShell, when } from "./shell.tsx";

export interface LinkedIdentity {
  provider: string;
  providerName: string;
  subject: string;
  email: string | null;
  lastLoginAt: number;
}

export interface PortalIdentitiesProps {
  username: string;
  csrfToken: string;
  identities: LinkedIdentity[];
  notice?: string;
  errors?: string[];
}

/** The upstream identities (provider, subject) linked to the person's account, with unlink. */
export function PortalIdentitiesPage({
  username,
  csrfToken,
  identities,
  notice,
  errors = [],
}: PortalIdentitiesProps) {
  return (
    <PortalShell
      title="Sign-in identities"
      current="/portal/identities"
      username={username}
      csrfToken={csrfToken}
    >
      <p class="lead">
        Accounts at identity providers you sign in with. Unlinking one means it no longer signs you in here.
      </p>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <FormErrors errors={errors} />
      <section class="card">
        {identities.length === 0 ? (
          <p class="empty">No identity provider account is linked to yours.</p>
        ) : (
          <div class="table-wrap">
            <table class="list identities">
              <thead>
                <tr>
                  <th>Provider</th>
                  <th>Account</th>
                  <th>Last sign-in</th>
                  <th>
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {identities.map((identity) => (
                  <tr>
                    <td safe>{identity.providerName}</td>
                    <td>
                      <span safe>{identity.email ?? identity.subject}</span>
                      <br />
                      <code class="muted" safe>
                        {identity.subject}
                      </code>
                    </td>
                    <td safe>{when(identity.lastLoginAt)}</td>
                    <td>
                      <form class="inline" method="post" action="/portal/identities/unlink">
                        <input type="hidden" name="_csrf" value={csrfToken} />
                        <input type="hidden" name="provider" value={escapeHtml(identity.provider)} />
                        <input type="hidden" name="subject" value={escapeHtml(identity.subject)} />
                        <button type="submit" class="secondary danger">
                          Unlink
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </PortalShell>
  );
}
