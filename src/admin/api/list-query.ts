import { z } from "zod";
import type { AppContext } from "../../context.ts";
import { type BodyResult, parseParams, validate } from "../../http/body.ts";
import { json } from "../../http/errors.ts";
import { adminHandler } from "../guard.ts";
import { withSchemas } from "./openapi-schemas.ts";

const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: "expected a whole number" })
    .transform(Number)
    .refine((n) => n <= max, { error: `at most ${max}` });

/** `?q=&limit=&offset=` of the admin API's lists: search text and offset pagination. */
const listQuerySchema = z.strictObject({
  q: z.string().max(200, { error: "at most 200 characters" }).optional(),
  limit: count(200)
    .refine((n) => n >= 1, { error: "at least 1" })
    .optional(),
  offset: count(1_000_000_000).optional(),
});

export interface ListQuery {
  q: string | undefined;
  limit: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 50;

export function readListQuery(request: Request): BodyResult<ListQuery> {
  const params = parseParams(new URL(request.url).searchParams);
  if (!params.ok) return params;
  const parsed = validate(listQuerySchema, params.value);
  if (!parsed.ok) return parsed;
  const q = parsed.value.q?.trim();
  return {
    ok: true,
    value: {
      q: q || undefined,
      limit: parsed.value.limit ?? DEFAULT_PAGE_SIZE,
      offset: parsed.value.offset ?? 0,
    },
  };
}

/**
 * The handler of an admin API list (`GET /admin/api/{key}`): the `?q=&limit=&offset=` page `page`
 * finds, as `{ [key]: rows shown by render, total, limit, offset }`.
 */
export function adminPageHandler<Row>(
  ctx: AppContext,
  key: string,
  page: (q: string | undefined, limit: number, offset: number) => { rows: Row[]; total: number },
  render: (row: Row) => unknown,
) {
  const handler = adminHandler(ctx, (_admin, _params, request) => {
    const query = readListQuery(request);
    if (!query.ok) return query.response;
    const { q, limit, offset } = query.value;
    const found = page(q, limit, offset);
    return json({ [key]: found.rows.map(render), total: found.total, limit, offset });
  });
  return withSchemas(handler, { query: listQuerySchema });
}
