/** The peer address Bun saw, or the first X-Forwarded-For hop when the operator trusts a proxy. */
export function clientIp(
  request: Request,
  server: { requestIP(r: Request): { address: string } | null } | null | undefined,
  trustProxyHeaders: boolean,
): string {
  if (trustProxyHeaders) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? "unknown";
}
