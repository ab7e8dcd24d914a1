import type { Children } from "@kitajs/html";
import { NavShell } from "../nav-shell.tsx";

/** The portal's pages, in the order of its navigation. */
export const PORTAL_PAGES = [
  { path: "/portal/", label: "Servers" },
  { path: "/portal/tokens", label: "Access tokens" },
  { path: "/portal/applications", label: "Connected applications" },
  { path: "/portal/identities", label: "Sign-in identities" },
  { path: "/portal/account", label: "Account" },
] as const;

export type PortalPath = (typeof PORTAL_PAGES)[number]["path"];

export interface PortalShellProps {
  title: string;
  current: PortalPath;
  username: string;
  csrfToken: string;
  children?: Children;
}

/** The layout with the portal's navigation. */
export function PortalShell({ title, current, username, csrfToken, children }: PortalShellProps) {
  return (
    <NavShell
      title={title}
      username={username}
      csrfToken={csrfToken}
      nav={{ pages: PORTAL_PAGES, current, label: "Portal", class: "portal-nav" }}
    >
      {children}
    </NavShell>
  );
}

/** A moment as people read it in a list: `2026-12-02 00:29 UTC`. */
export function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
