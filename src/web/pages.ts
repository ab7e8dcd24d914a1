import { MessagePage, type MessagePageProps } from "../../views/web/message.tsx";
import { checkIpRecorded } from "../audit/security-events/rate-limited.ts";
import type { AppContext } from "../context.ts";
import { readForm } from "../http/body.ts";
import type { clientIp } from "../http/client-ip.ts";
import type { IpLimitName } from "../policy/rate-limits/rate-limits.ts";
import { type HeaderList, htmlResponse } from "./html.ts";

type Server = Parameters<typeof clientIp>[1];

/** A short HTML page for a refusal or an error, with the security headers. */
export async function messageResponse(
  status: number,
  props: MessagePageProps,
  extra: HeaderList = [],
): Promise<Response> {
  return htmlResponse(await MessagePage(props), status, extra);
}

export function csrfRejected(): Promise<Response> {
  return messageResponse(403, {
    title: "Request refused",
    message: "This form has expired or did not come from this site. Reload the page and try again.",
  });
}

/** Reads a browser form (size-limited); a bad body becomes an HTML page with the same status. */
export async function readBrowserForm(
  ctx: AppContext,
  request: Request,
): Promise<{ ok: true; value: Record<string, string> } | { ok: false; response: Response }> {
  const form = await readForm(request, ctx.config.maxBodyBytes);
  if (form.ok) return form;
  const status = form.response.status;
  const message =
    status === 413
      ? "The submitted form is too large."
      : status === 415
        ? "The form must be sent as application/x-www-form-urlencoded."
        : "The submitted form is not valid.";
  return { ok: false, response: await messageResponse(status, { title: "Bad request", message }) };
}

/**
 * The per-client-IP limit `name` for a browser form: undefined when allowed, else the message for
 * the page and its headers (`Retry-After`, `RateLimit-Policy`, `RateLimit`) as a header list.
 */
export function formRateLimit(
  ctx: AppContext,
  name: IpLimitName,
  request: Request,
  server: Server,
): { message: string; headers: HeaderList } | undefined {
  const refused = checkIpRecorded(ctx, name, request, server);
  if (refused === undefined) return undefined;
  const wait = refused.decision.retryAfterSeconds;
  return {
    message: `Too many attempts from your address. Try again in ${wait} ${wait === 1 ? "second" : "seconds"}.`,
    headers: Object.entries(refused.headers),
  };
}
