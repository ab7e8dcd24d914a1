import { escapeHtml } from "@kitajs/html";
import type { AuthorizationSummary } from "../../src/oauth/authorize.ts";
import { Layout } from "../layout.tsx";
import { ClientClaim } from "../oauth/client-claim.tsx";
import { FormErrors } from "./form-errors.tsx";

export interface LoginPageProps {
  csrfToken: string;
  returnTo: string;
  username?: string;
  errors?: readonly string[];
  /** Set when the sign-in is part of an OAuth authorization: who asks, for what, where it goes. */
  authorization?: AuthorizationSummary;
  /** Upstream identity providers, one button each, in this order. */
  providers?: readonly { slug: string; displayName: string }[];
  /** False when LOCAL_LOGIN_ENABLED is off: no password form. */
  localLogin?: boolean;
}

/** The sign-in form; posts to /login, which sends the browser on to `returnTo`. */
export function LoginPage({
  csrfToken,
  returnTo,
  username = "",
  errors = [],
  authorization,
  providers = [],
  localLogin = true,
}: LoginPageProps) {
  const upstreamHref = (slug: string) =>
    escapeHtml(`/login/upstream/${encodeURIComponent(slug)}?return_to=${encodeURIComponent(returnTo)}`);
  return (
    <Layout title="Sign in" narrow>
      <h1>Sign in</h1>
      <p class="lead">
        {localLogin ? "Use your AuthMCP Gateway account." : "Use your organisation's account."}
      </p>
      {authorization ? (
        <div class="card authorization">
          <ClientClaim client={authorization.client}>
            asks to use {authorization.server ? <strong safe>{authorization.server}</strong> : "this gateway"}{" "}
            with your account.
          </ClientClaim>
          <p>
            After signing in, the browser returns to{" "}
            <strong class="redirect-host" safe>
              {authorization.redirectTarget}
            </strong>
            .
          </p>
        </div>
      ) : (
        ""
      )}
      {providers.length > 0 ? (
        <div class="card stack upstream-providers">
          {providers.map((p) => (
            <a class="button" href={upstreamHref(p.slug)}>
              Sign in with <span safe>{p.displayName}</span>
            </a>
          ))}
        </div>
      ) : (
        ""
      )}
      {localLogin || errors.length > 0 ? (
        <div class="card">
          <FormErrors errors={errors} />
          {localLogin ? <LocalForm csrfToken={csrfToken} returnTo={returnTo} username={username} /> : ""}
        </div>
      ) : (
        ""
      )}
    </Layout>
  );
}

function LocalForm({
  csrfToken,
  returnTo,
  username,
}: {
  csrfToken: string;
  returnTo: string;
  username: string;
}) {
  return (
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
  );
}
