import type { z } from "zod";
import { jsonError } from "./errors.ts";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Reads the whole body as text, refusing more than `limit` bytes (413) without reading further. */
export async function readText(request: Request, limit: number): Promise<BodyResult<string>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return { ok: false, response: tooLarge(limit) };
  if (!request.body) return { ok: true, value: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
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
  return { ok: true, value: Buffer.concat(chunks).toString("utf8") };
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
