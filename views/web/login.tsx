import { escapeHtml } from "@kitajs/html";
import { Layout } from "../layout.tsx";
import { FormErrors } from "./form-errors.tsx";

export interface LoginPageProps {
  csrfToken: string;
  returnTo: string;
  username?: string;
  errors?: readonly string[];
}

/** The sign-in form; posts to /login, which sends the browser on to `returnTo`. */
export function LoginPage({ csrfToken, returnTo, username = "", errors = [] }: LoginPageProps) {
  return (
    <Layout title="Sign in" narrow>
      <h1>Sign in</h1>
      <p class="lead">Use your AuthMCP Gateway account.</p>
      <div class="card">
        <FormErrors errors={errors} />
        <form class="stack" method="post" action="/login">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <input type="hidden" name="return_to" value={escapeHtml(returnTo)} />
          <label>
            Username or email
            <input
              type="text"
              name="username"
              value={escapeHtml(username)}
              autocomplete="username"
              required
              maxlength="254"
              autofocus
            />
          </label>
          <label>
            Password
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </div>
    </Layout>
  );
}
