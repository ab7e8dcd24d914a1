/**
 * Parts of an absolute request URL without a `new URL` parse per request. `Request.url` is already
 * normalised (it went through the URL parser once), so slicing it gives what `URL` would.
 */

/** The path: from the first "/" after the authority to the query or fragment. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = endOfPath(url, start);
  return end === url.length ? url.slice(start) : url.slice(start, end);
}

/** The query with its "?" as `URL.search` gives it: "" when absent or empty. */
export function searchOf(url: string): string {
  const start = url.indexOf("?");
  if (start === -1) return "";
  const hash = url.indexOf("#");
  if (hash !== -1 && hash < start) return "";
  const end = hash === -1 ? url.length : hash;
  return end - start <= 1 ? "" : url.slice(start, end);
}

function endOfPath(url: string, from: number): number {
  for (let i = from; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return i;
  }
  return url.length;
}
