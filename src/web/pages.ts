import { MessagePage, type MessagePageProps } from "../../views/web/message.tsx";
import type { AppContext } from "../context.ts";
import { readForm } from "../http/body.ts";
import { clientIp } from "../http/client-ip.ts";
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

/** The per-client-IP limit on password attempts shared with /auth/login; a 429 page when exceeded. */
export async function limitAttempts(
  ctx: AppContext,
  request: Request,
  server: Server,
): Promise<Response | undefined> {
  const { config } = ctx;
  if (!config.rateLimitEnabled) return undefined;
  const wait = ctx.authLimiter.hit(`auth:${clientIp(request, server, config.trustProxyHeaders)}`);
  if (wait <= 0) return undefined;
  return messageResponse(
    429,
    {
      title: "Too many attempts",
      message: "Too many attempts from your address. Wait a minute and try again.",
    },
    [["Retry-After", String(wait)]],
  );
}
