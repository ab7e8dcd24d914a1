import { escapeHtml } from "@kitajs/html";
import { Layout } from "../layout.tsx";
import { FormErrors } from "./form-errors.tsx";

export interface SetupPageProps {
  csrfToken: string;
  /** The password rules in force, in words. */
  passwordRules: readonly string[];
  /** The setup code as entered, kept when the form comes back for another reason than the code. */
  setupCode?: string;
  username?: string;
  email?: string;
  errors?: readonly string[];
}

/** First-run wizard: creates the first administrator. Shown only while there is none. */
export function SetupPage({
  csrfToken,
  passwordRules,
  setupCode = "",
  username = "",
  email = "",
  errors = [],
}: SetupPageProps) {
  return (
    <Layout title="Set up" narrow>
      <h1>Welcome</h1>
      <p class="lead">Create the first administrator of this gateway. This page disappears once it exists.</p>
      <p>
        You need the <strong>setup code</strong> the gateway printed in its log when it started (also in the
        file <code>setup-code</code> of its data directory). Without access to either, ask the person who runs
        it, or create the administrator on the command line with <code>authmcp-gateway create-admin</code>.
      </p>
      <div class="card">
        <FormErrors errors={errors} />
        <form class="stack" method="post" action="/setup">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            Setup code
            <input
              type="text"
              name="setup_code"
              value={escapeHtml(setupCode)}
              autocomplete="off"
              spellcheck="false"
              required
              maxlength="64"
              placeholder="XXXX-XXXX-XXXX-XXXX-XXXX"
              autofocus
            />
            <span class="hint">
              From the gateway's log: "no admin yet: open …/setup and enter the setup code …".
            </span>
          </label>
          <label>
            Username
            <input
              type="text"
              name="username"
              value={escapeHtml(username)}
              autocomplete="username"
              required
              minlength="3"
              maxlength="64"
            />
            <span class="hint">3–64 letters, digits, '.', '_' or '-'.</span>
          </label>
          <label>
            Email
            <input
              type="email"
              name="email"
              value={escapeHtml(email)}
              autocomplete="email"
              required
              maxlength="254"
            />
          </label>
          <label>
            Password
            <input type="password" name="password" autocomplete="new-password" required />
            <span class="hint" safe>
              {passwordRules.join("; ")}
            </span>
          </label>
          <label>
            Confirm password
            <input type="password" name="password_confirm" autocomplete="new-password" required />
          </label>
          <button type="submit">Create administrator</button>
        </form>
      </div>
    </Layout>
  );
}
