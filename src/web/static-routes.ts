import { Elysia } from "elysia";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import activityJsPath from "../../static/activity.js" with { type: "file" };
import appCssPath from "../../static/app.css" with { type: "file" };
import appJsPath from "../../static/app.js" with { type: "file" };
import faviconPath from "../../static/favicon.svg" with { type: "file" };
import liveRowsJsPath from "../../static/live-rows.js" with { type: "file" };
import { HTMX_VERSION } from "../../views/layout.tsx";
import type { AppContext } from "../context.ts";

interface StaticFile {
  /** Path of the file on disk, or inside the executable once compiled. */
  path: string;
  type: string;
  /** Its version: a request naming it (`?v=`) may be cached for a year. */
  version?: string;
}

const YEAR_SECONDS = 31_536_000;

/**
 * The static files, listed one by one (imports are embedded in the executable; globs are not).
 * Anything else under /static is a 404, so no path can reach the file system.
 */
function staticFiles(): ReadonlyMap<string, StaticFile> {
  return new Map<string, StaticFile>([
    ["activity.js", { path: activityJsPath, type: "text/javascript; charset=utf-8" }],
    ["app.css", { path: appCssPath, type: "text/css; charset=utf-8" }],
    ["app.js", { path: appJsPath, type: "text/javascript; charset=utf-8" }],
    ["favicon.svg", { path: faviconPath, type: "image/svg+xml" }],
    ["live-rows.js", { path: liveRowsJsPath, type: "text/javascript; charset=utf-8" }],
    ["htmx.min.js", { path: htmxPath, type: "text/javascript; charset=utf-8", version: HTMX_VERSION }],
  ]);
}

export function staticRoutes(ctx: AppContext) {
  const files = staticFiles();
  const shortCache = `public, max-age=${ctx.config.staticCacheSeconds}`;

  const serve = (name: string, request: Request): Response => {
    const file = files.get(name);
    if (!file) {
      return new Response("not found\n", {
        status: 404,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
      });
    }
    const requested = new URL(request.url).searchParams.get("v");
    const cache =
      file.version !== undefined && requested === file.version
        ? `public, max-age=${YEAR_SECONDS}, immutable`
        : shortCache;
    return new Response(Bun.file(file.path), {
      headers: { "Content-Type": file.type, "Cache-Control": cache },
    });
  };

  return new Elysia({ name: "web-static" }).get("/static/*", ({ params, request }) =>
    serve(params["*"], request),
  );
}
