import { escapeHtml } from "@kitajs/html";
import { Layout } from "../layout.tsx";
import { FormErrors } from "./form-errors.tsx";

export interface SetupPageProps {
  csrfToken: string;
  /** The password rules in force, in words. */
  passwordRules: readonly string[];
  username?: string;
  email?: string;
  errors?: readonly string[];
}

/** First-run wizard: creates the first administrator. Shown only while there is none. */
export function SetupPage({
  csrfToken,
  passwordRules,
  username = "",
  email = "",
  errors = [],
}: SetupPageProps) {
  return (
    <Layout title="Set up" narrow>
      <h1>Welcome</h1>
      <p class="lead">Create the first administrator of this gateway. This page disappears once it exists.</p>
      <div class="card">
        <FormErrors errors={errors} />
        <form class="stack" method="post" action="/setup">
          <input type="hidden" name="_csrf" value={csrfToken} />
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
              autofocus
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
