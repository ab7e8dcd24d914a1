import type { Children } from "@kitajs/html";
import { NavShell } from "../nav-shell.tsx";

/**
 * The admin's pages, in the order of its navigation. A page is listed here only once it exists
 * (each page's module adds its own line).
 */
export const ADMIN_PAGES = [
  { path: "/admin/", label: "Dashboard" },
  { path: "/admin/users", label: "Users" },
  { path: "/admin/servers", label: "MCP servers" },
  { path: "/admin/backend-tokens", label: "Backend tokens" },
  { path: "/admin/clients", label: "OAuth clients" },
  { path: "/admin/security", label: "Security events" },
  { path: "/admin/activity", label: "MCP activity" },
  { path: "/admin/api-test", label: "API test" },
  { path: "/admin/audit", label: "Security audit" },
  { path: "/admin/pinning", label: "Tool pinning" },
  { path: "/admin/settings", label: "Settings" },
  { path: "/admin/logs", label: "Logs" },
] as const;

export type AdminPath = (typeof ADMIN_PAGES)[number]["path"];

export interface AdminShellProps {
  title: string;
  current: AdminPath;
  username: string;
  csrfToken: string;
  children?: Children;
}

/** The layout with the admin's navigation. */
export function AdminShell({ title, current, username, csrfToken, children }: AdminShellProps) {
  return (
    <NavShell
      title={title}
      username={username}
      csrfToken={csrfToken}
      nav={{ pages: ADMIN_PAGES, current, label: "Administration", class: "portal-nav admin-nav" }}
    >
      {children}
    </NavShell>
  );
}
