import type { ActivityFilter } from "../../audit/activity/store.ts";
import type { ActivityOutcome } from "../../audit/activity/types.ts";
import type { AppContext } from "../../context.ts";

export const ACTIVITY_OUTCOMES: readonly ActivityOutcome[] = ["ok", "error", "denied", "rate_limited"];

/** Longest filter value the page accepts (names and methods are far shorter). */
const FILTER_MAX_LENGTH = 200;
/** Highest page number: beyond it an offset means nothing for any realistic table. */
const PAGE_MAX = 10_000_000;

/** The filters of /admin/activity as the form shows them (empty = any). */
export interface ActivityPageFilters {
  user: string;
  server: string;
  method: string;
  outcome: ActivityOutcome | "";
}

export interface ActivityPageQuery {
  filters: ActivityPageFilters;
  /** 1-based page of the stored history. */
  page: number;
}

export type ParsedActivityQuery = { ok: true; value: ActivityPageQuery } | { ok: false; message: string };

const isOutcome = (value: string): value is ActivityOutcome =>
  (ACTIVITY_OUTCOMES as readonly string[]).includes(value);

/**
 * Reads `?user=&server=&method=&outcome=&page=` of the activity page and its live stream. A GET
 * form sends empty fields for "any", so an empty value is no filter; other parameters are ignored.
 */
export function parseActivityQuery(url: URL): ParsedActivityQuery {
  const read = (name: string) => (url.searchParams.get(name) ?? "").trim();
  const filters: ActivityPageFilters = {
    user: read("user"),
    server: read("server"),
    method: read("method"),
    outcome: "",
  };
  for (const [name, value] of [
    ["user", filters.user],
    ["server", filters.server],
    ["method", filters.method],
  ] as const) {
    if (value.length > FILTER_MAX_LENGTH) {
      return { ok: false, message: `The ${name} filter is longer than ${FILTER_MAX_LENGTH} characters.` };
    }
  }
  const outcome = read("outcome");
  if (outcome !== "") {
    if (!isOutcome(outcome)) {
      return { ok: false, message: `The outcome filter must be one of ${ACTIVITY_OUTCOMES.join(", ")}.` };
    }
    filters.outcome = outcome;
  }
  const pageText = read("page");
  let page = 1;
  if (pageText !== "") {
    page = /^\d{1,8}$/.test(pageText) ? Number(pageText) : 0;
    if (page < 1 || page > PAGE_MAX) {
      return { ok: false, message: `The page must be a whole number from 1 to ${PAGE_MAX}.` };
    }
  }
  return { ok: true, value: { filters, page } };
}

/**
 * The store's filter for the page's: the user is given by name (what an admin knows) and matched
 * by id. An unknown name matches no row (`matches: false`), rather than being dropped silently.
 */
export function storeFilterOf(
  ctx: AppContext,
  filters: ActivityPageFilters,
): { filter: ActivityFilter; matches: boolean } {
  const filter: ActivityFilter = {};
  if (filters.server !== "") filter.server = filters.server;
  if (filters.method !== "") filter.method = filters.method;
  if (filters.outcome !== "") filter.outcome = filters.outcome;
  if (filters.user === "") return { filter, matches: true };
  const user = ctx.users.byUsername(filters.user);
  if (user === undefined) return { filter, matches: false };
  filter.userId = user.id;
  return { filter, matches: true };
}

/** The query string of these filters (and a page), for links and the live stream's URL. */
export function activityQueryString(filters: ActivityPageFilters, page?: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== "") params.set(name, value);
  if (page !== undefined && page > 1) params.set("page", String(page));
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
