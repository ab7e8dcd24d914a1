import type { PersonalToken } from "../../src/portal/personal-tokens.ts";
import { EXPIRY_CHOICES_DAYS, serverField, type TokenFormValues } from "../../src/portal/token-form.ts";
import { FormErrors } from "../web/form-errors.tsx";
import { PortalShell, when } from "./shell.tsx";

export interface PortalTokensProps {
  username: string;
  csrfToken: string;
  tokens: PersonalToken[];
  /** The names of the servers the person may use (what a token may name). */
  servers: { name: string; displayName: string }[];
  maxLifetimeDays: number;
  maxPerUser: number;
  now: number;
  /** A token just created: its secret is shown this once. */
  created?: { token: string; record: PersonalToken };
  /** A note after an action (token revoked). */
  notice?: string;
  errors?: string[];
  values?: TokenFormValues;
}

function expiryChoices(maxLifetimeDays: number): { days: number; label: string }[] {
  const choices: { days: number; label: string }[] = EXPIRY_CHOICES_DAYS.filter(
    (d) => maxLifetimeDays === 0 || d <= maxLifetimeDays,
  ).map((days) => ({ days, label: `${days} days` }));
  if (maxLifetimeDays !== 0 && !choices.some((c) => c.days === maxLifetimeDays)) {
    choices.push({ days: maxLifetimeDays, label: `${maxLifetimeDays} days (the longest allowed)` });
  }
  if (maxLifetimeDays === 0) choices.push({ days: 0, label: "Never" });
  return choices;
}

function TokenRow({ token, csrfToken, now }: { token: PersonalToken; csrfToken: string; now: number }) {
  const expired = token.expiresAt !== null && token.expiresAt <= now;
  return (
    <tr data-token={token.id}>
      <td safe>{token.name}</td>
      <td safe>{token.servers === null ? "all servers and /mcp" : token.servers.join(", ")}</td>
      <td safe>{when(token.createdAt)}</td>
      <td safe>
        {token.expiresAt === null ? "never" : `${expired ? "expired " : ""}${when(token.expiresAt)}`}
      </td>
      <td>
        <form class="inline" method="post" action={`/portal/tokens/${token.id}/revoke`}>
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit" class="secondary danger">
            Revoke
          </button>
        </form>
      </td>
    </tr>
  );
}

/** Personal access tokens: the new token once, the creation form, the list with revoke. */
export function PortalTokensPage(props: PortalTokensProps) {
  const { username, csrfToken, tokens, servers, maxLifetimeDays, maxPerUser, now, created, notice } = props;
  const values = props.values ?? { name: "", scope: "all", servers: [], expiresInDays: "30" };
  const choices = expiryChoices(maxLifetimeDays);
  return (
    <PortalShell
      title="Personal access tokens"
      current="/portal/tokens"
      username={username}
      csrfToken={csrfToken}
    >
      <p class="lead">
        For clients that cannot sign in through the browser: send the token as{" "}
        <code>Authorization: Bearer amcp_pat_…</code> to a server's URL (or to <code>/mcp</code> when it is
        for all servers). A token acts as you, with all your rights on the servers it names, until it expires
        or you revoke it. Keep it secret.
      </p>
      {created ? (
        <section class="card notice new-token" aria-label="New token">
          <h2 safe>Token “{created.record.name}” created</h2>
          <p>Copy it now: it is not shown again.</p>
          <pre class="snippet">
            <code id="new-token" safe>
              {created.token}
            </code>
          </pre>
        </section>
      ) : (
        ""
      )}
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <section class="card" aria-label="Create a token">
        <h2>Create a token</h2>
        <FormErrors errors={props.errors ?? []} />
        <form class="stack" method="post" action="/portal/tokens">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            Name
            <input type="text" name="name" maxlength="100" required value={values.name} />
            <span class="hint">Where it is used, e.g. “CI deploy job”.</span>
          </label>
          <fieldset>
            <legend>Servers</legend>
            <label class="choice">
              <input type="radio" name="scope" value="all" checked={values.scope === "all"} />
              All my servers, and <code>/mcp</code>
            </label>
            <label class="choice">
              <input type="radio" name="scope" value="selected" checked={values.scope === "selected"} />
              Only these:
            </label>
            <div class="server-choices">
              {servers.length === 0 ? (
                <span class="hint">No server is shared with you yet.</span>
              ) : (
                servers.map((server) => (
                  <label class="choice">
                    <input
                      type="checkbox"
                      name={serverField(server.name)}
                      value="on"
                      checked={values.servers.includes(server.name)}
                    />
                    <span safe>{server.displayName}</span>{" "}
                    <code class="muted" safe>{`(${server.name})`}</code>
                  </label>
                ))
              )}
            </div>
          </fieldset>
          <label>
            Expires after
            <select name="expires_in_days">
              {choices.map((choice) => (
                <option
                  value={String(choice.days)}
                  selected={String(choice.days) === values.expiresInDays}
                  safe
                >
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <div>
            <button type="submit">Create token</button>
          </div>
        </form>
      </section>
      <section class="card" aria-label="Your tokens">
        <h2>Your tokens</h2>
        <p class="hint">
          {tokens.length} of at most {maxPerUser}.
        </p>
        {tokens.length === 0 ? (
          <p class="empty">No tokens.</p>
        ) : (
          <div class="table-wrap">
            <table class="list tokens">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Servers</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th>
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <TokenRow token={token} csrfToken={csrfToken} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </PortalShell>
  );
}
