import { FormErrors } from "../web/form-errors.tsx";
import { PortalShell } from "./shell.tsx";

export interface PortalAccountProps {
  username: string;
  email: string;
  csrfToken: string;
  /** The password rules in force, for the person choosing one. */
  passwordRules: string;
  notice?: string;
  errors?: string[];
}

/** Change password; sign out everywhere. Both end the person's other sessions and tokens. */
export function PortalAccountPage({
  username,
  email,
  csrfToken,
  passwordRules,
  notice,
  errors,
}: PortalAccountProps) {
  return (
    <PortalShell title="Account" current="/portal/account" username={username} csrfToken={csrfToken}>
      {notice ? (
        <p class="notice" role="status" safe>
          {notice}
        </p>
      ) : (
        ""
      )}
      <section class="card" aria-label="Change password">
        <h2>Change password</h2>
        <p class="hint">
          Signed in as <strong safe>{username}</strong> (<span safe>{email}</span>). Changing the password
          signs you out everywhere else and ends every token issued to your applications and your personal
          access tokens.
        </p>
        <FormErrors errors={errors ?? []} />
        <form class="stack" method="post" action="/portal/account/password">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <label>
            Current password
            <input type="password" name="current_password" autocomplete="current-password" required />
          </label>
          <label>
            New password
            <input type="password" name="new_password" autocomplete="new-password" required />
            <span class="hint" safe>
              {passwordRules}
            </span>
          </label>
          <label>
            New password again
            <input type="password" name="new_password_confirm" autocomplete="new-password" required />
          </label>
          <div>
            <button type="submit">Change password</button>
          </div>
        </form>
      </section>
      <section class="card" aria-label="Sign out everywhere">
        <h2>Sign out everywhere</h2>
        <p class="hint">
          Ends every browser session (this one too), every token your applications hold and your personal
          access tokens. Use it when a device or a token may be in the wrong hands.
        </p>
        <form method="post" action="/portal/account/sign-out-everywhere">
          <input type="hidden" name="_csrf" value={csrfToken} />
          <button type="submit" class="danger">
            Sign out everywhere
          </button>
        </form>
      </section>
    </PortalShell>
  );
}
