/** CORS response headers for one request. Origins are decided by the caller. */
export function corsHeaders(
  origin: string,
  options: { methods: string; allowHeaders?: string; exposeHeaders?: string; maxAgeSeconds?: number },
): Record<string, string> {
  const headers: Record<string, string> = {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": options.methods,
    Vary: "Origin",
  };
  if (options.allowHeaders) headers["Access-Control-Allow-Headers"] = options.allowHeaders;
  if (options.exposeHeaders) headers["Access-Control-Expose-Headers"] = options.exposeHeaders;
  if (options.maxAgeSeconds !== undefined) headers["Access-Control-Max-Age"] = String(options.maxAgeSeconds);
  return headers;
}

/** True when a browser Origin may call the gateway: the public URL's own origin or one listed in ALLOWED_ORIGINS. */
export function originAllowed(origin: string, publicUrl: string, allowedOrigins: string[]): boolean {
  if (allowedOrigins.includes("*")) return true;
  if (origin === new URL(publicUrl).origin) return true;
  return allowedOrigins.some((allowed) => allowed.replace(/\/+$/, "") === origin);
}
