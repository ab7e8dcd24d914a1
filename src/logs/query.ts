import { z } from "zod";
import { LOG_LEVEL_NAMES, type LogFilter, type LogLevelName } from "./ring.ts";

/** Longest text filter, in characters. */
const TEXT_MAX = 200;

/** The filters of /admin/logs and GET /admin/api/logs, as given ("" = any). */
export interface LogQuery {
  level: LogLevelName | "";
  q: string;
  /** Undefined when not given. */
  limit: number | undefined;
}

const filterShape = {
  level: z
    .union([z.literal(""), z.enum(LOG_LEVEL_NAMES)], {
      error: `expected one of ${LOG_LEVEL_NAMES.join(", ")}`,
    })
    .default("")
    .describe("Only lines at this level or above (empty: any)"),
  q: z
    .string()
    .max(TEXT_MAX, { error: `at most ${TEXT_MAX} characters` })
    .default("")
    .describe("Only lines whose message or fields contain this text, case-insensitive"),
};

/** The query of the live stream: the filters, no limit. */
export const logStreamQuerySchema = z.strictObject(filterShape);

/** The query of the list: the filters and `limit`, from 1 to `maxLimit` (the ring's size). */
export function logQuerySchema(maxLimit: number) {
  const problem = `expected a whole number from 1 to ${maxLimit}`;
  return z.strictObject({
    ...filterShape,
    limit: z
      .string()
      .regex(/^\d{1,10}$/, { error: problem })
      .transform(Number)
      .refine((n) => n >= 1 && n <= maxLimit, { error: problem })
      .optional()
      .describe("Most lines answered (default ADMIN_LOG_PAGE_LINES)"),
  });
}

/**
 * Reads a URL's query with `schema` (`logQuerySchema` or `logStreamQuerySchema`); anything else, a
 * repeated parameter or a bad value is a problem named in `message`.
 */
export function parseLogQuery(
  url: URL,
  schema: ReturnType<typeof logQuerySchema> | typeof logStreamQuerySchema,
): { ok: true; value: LogQuery } | { ok: false; message: string } {
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(params, key)) return { ok: false, message: `parameter ${key} is repeated` };
    params[key] = value;
  }
  const result = schema.safeParse(params);
  if (result.success) {
    const { limit } = result.data as { limit?: number };
    return { ok: true, value: { level: result.data.level, q: result.data.q, limit } };
  }
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : "query";
  const message =
    issue?.code === "unrecognized_keys" ? `unknown parameter ${issue.keys.join(", ")}` : issue?.message;
  return { ok: false, message: `${field}: ${message ?? "invalid"}` };
}

/** The ring's filter of a query. */
export function logFilterOf(query: LogQuery): LogFilter {
  return {
    ...(query.level === "" ? {} : { level: query.level }),
    ...(query.q === "" ? {} : { text: query.q }),
  };
}

/** `?level=…&q=…` for links and the page's stream (empty filters left out). */
export function logQueryString(query: Pick<LogQuery, "level" | "q">): string {
  const params = new URLSearchParams();
  if (query.level !== "") params.set("level", query.level);
  if (query.q !== "") params.set("q", query.q);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
