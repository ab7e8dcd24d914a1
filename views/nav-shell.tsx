import type { Children } from "@kitajs/html";
import { Layout } from "./layout.tsx";

export interface NavPage {
  path: string;
  label: string;
}

export interface NavShellProps {
  title: string;
  username: string;
  csrfToken: string;
  /** The section's navigation: its pages in order, the current one, its accessible name and class. */
  nav: { pages: readonly NavPage[]; current: string; label: string; class: string };
  children?: Children;
}

/** The layout with a section's navigation (admin, portal); the current page is marked for screen readers too. */
export function NavShell({ title, username, csrfToken, nav, children }: NavShellProps) {
  return (
    <Layout title={title} username={username} csrfToken={csrfToken}>
      <nav class={nav.class} aria-label={nav.label}>
        {nav.pages.map((page) => (
          <a href={page.path} aria-current={page.path === nav.current ? "page" : undefined} safe>
            {page.label}
          </a>
        ))}
      </nav>
      <h1 safe>{title}</h1>
      {children}
    </Layout>
  );
}
