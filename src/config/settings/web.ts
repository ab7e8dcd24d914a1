import { int } from "./kinds.ts";

/** Settings of the browser pages (src/web, src/admin). */
export const webSettings = {
  webFormTokenMinutes: int(
    "WEB_FORM_TOKEN_MINUTES",
    120,
    5,
    24 * 60,
    "Lifetime of the CSRF cookie of the login and setup forms, in minutes (a form older than this must be reloaded).",
  ),
  staticCacheSeconds: int(
    "STATIC_CACHE_SECONDS",
    300,
    0,
    31536000,
    "Browser cache lifetime of unversioned static files (CSS, JS), in seconds. Versioned files are cached for a year.",
  ),
};
