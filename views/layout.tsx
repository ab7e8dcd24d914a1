import type { Children } from "@kitajs/html";
import htmxPackage from "htmx.org/package.json" with { type: "json" };

/** htmx's version: its URL carries it so the file can be cached for a long time. */
export const HTMX_VERSION: string = htmxPackage.version;

export interface LayoutProps {
  title: string;
  /** CSRF token for htmx requests (sent as X-CSRF-Token on every hx- request); omit on public pages. */
  csrfToken?: string;
  /** The signed-in person's name: shows it and a logout button (which needs `csrfToken`). */
  username?: string;
  /** A narrow single-column page (login, setup, errors). */
  narrow?: boolean;
  children?: Children;
}

/** The page shell: every page is rendered inside it. Scripts and styles are static files (strict CSP). */
export function Layout({ title, csrfToken, username, narrow, children }: LayoutProps) {
  const hxHeaders = csrfToken ? JSON.stringify({ "X-CSRF-Token": csrfToken }) : undefined;
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
          <title safe>{title} · AuthMCP Gateway</title>
          <link rel="stylesheet" href="/static/app.css" />
          <script src={`/static/htmx.min.js?v=${HTMX_VERSION}`} defer></script>
          <script src="/static/app.js" defer></script>
        </head>
        <body hx-headers={hxHeaders}>
          <header class="topbar">
            <a class="brand" href="/">
              AuthMCP <span>Gateway</span>
            </a>
            {username !== undefined && csrfToken !== undefined ? (
              <div class="who">
                <span>
                  Signed in as <strong safe>{username}</strong>
                </span>
                <a href="/portal/">My portal</a>
                <form class="inline" method="post" action="/logout">
                  <input type="hidden" name="_csrf" value={csrfToken} />
                  <button type="submit" class="secondary">
                    Log out
                  </button>
                </form>
              </div>
            ) : (
              ""
            )}
          </header>
          <main class={narrow ? "narrow" : undefined}>{children}</main>
          <footer class="footer">AuthMCP Gateway</footer>
        </body>
      </html>
    </>
  );
}
