import type { z } from "zod";
import { bodyReadFailureStatus } from "./body-errors.ts";
import { markBodyRead, whileBodyArrives } from "./body-watch.ts";
import { jsonError } from "./errors.ts";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * Reads the whole body as text, refusing more than `limit` bytes (413) without reading further.
 * A client that went away (499) or a body Bun refused (413) is an answer, not a thrown error; a
 * body that misses its deadline throws `BodyDeadlineError` (body-watch.ts).
 */
export async function readText(request: Request, limit: number): Promise<BodyResult<string>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return { ok: false, response: tooLarge(limit) };
  const body = request.body;
  if (!body) {
    markBodyRead(request);
    return { ok: true, value: "" };
  }
  const result = await whileBodyArrives(request, readChunks(request, body, limit));
  if (result.ok) markBodyRead(request);
  return result;
}

async function readChunks(
  request: Request,
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<BodyResult<string>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return { ok: false, response: tooLarge(limit) };
      }
      chunks.push(value);
    }
  } catch (error) {
    const status = bodyReadFailureStatus(error, request);
    if (status === undefined) throw error;
    return { ok: false, response: status === 413 ? tooLarge(limit) : clientGone() };
  }
  return { ok: true, value: Buffer.concat(chunks).toString("utf8") };
}

/**
 * The whole body of a request whose Content-Length was already checked against the limit, in one
 * read (the proxy's hot path); throws what the read throws, `BodyDeadlineError` past the deadline.
 */
export function readDeclaredText(request: Request): Promise<string> {
  return whileBodyArrives(request, request.text(), true);
}

/** Nobody reads it: the client closed the connection. The request log shows 499, as nginx does. */
function clientGone(): Response {
  return new Response(null, { status: 499 });
}

function tooLarge(limit: number): Response {
  return jsonError(413, "invalid_request", `request body is larger than ${limit} bytes`);
}

/** Reads a JSON object body and validates it; 400 naming the field on any problem. */
export async function readJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  limit: number,
): Promise<BodyResult<z.output<S>>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    return {
      ok: false,
      response: jsonError(415, "invalid_request", "expected Content-Type: application/json"),
    };
  }
  const text = await readText(request, limit);
  if (!text.ok) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.value);
  } catch {
    return { ok: false, response: jsonError(400, "invalid_request", "body is not valid JSON") };
  }
  return validate(schema, parsed);
}

/** Reads an application/x-www-form-urlencoded body; duplicated parameters are refused (RFC 6749 §3.1). */
export async function readForm(request: Request, limit: number): Promise<BodyResult<Record<string, string>>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    return {
      ok: false,
      response: jsonError(415, "invalid_request", "expected Content-Type: application/x-www-form-urlencoded"),
    };
  }
  const text = await readText(request, limit);
  if (!text.ok) return text;
  return parseParams(new URLSearchParams(text.value));
}

export function parseParams(params: URLSearchParams): BodyResult<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(out, key)) {
      return { ok: false, response: jsonError(400, "invalid_request", `parameter ${key} is repeated`) };
    }
    out[key] = value;
  }
  return { ok: true, value: out };
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): BodyResult<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  return {
    ok: false,
    response: jsonError(400, "invalid_request", `${field}: ${issue?.message ?? "invalid"}`),
  };
}
