import type { Children } from "@kitajs/html";

export interface LayoutProps {
  title: string;
  /** CSRF token for htmx requests (sent as X-CSRF-Token on every hx- request); omit on public pages. */
  csrfToken?: string;
  children?: Children;
}

/** The page shell: every page is rendered inside it. Scripts and styles are static files (strict CSP). */
export function Layout({ title, csrfToken, children }: LayoutProps) {
  const hxHeaders = csrfToken ? JSON.stringify({ "X-CSRF-Token": csrfToken }) : undefined;
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{title} · AuthMCP Gateway</title>
          <link rel="stylesheet" href="/static/app.css" />
          <script src="/static/htmx.min.js" defer></script>
          <script src="/static/app.js" defer></script>
        </head>
        <body hx-headers={hxHeaders}>
          <main>{children}</main>
        </body>
      </html>
    </>
  );
}
