/** Media-type checks for `text/event-stream` (SSE), shared by the proxy, the legacy bridge and health checks. */

const EVENT_STREAM_TYPE = /^text\/event-stream\b/i;
const EVENT_STREAM_IN_ACCEPT = /\btext\/event-stream\b/i;

/** A Content-Type that names `text/event-stream` (parameters allowed). */
export function isEventStream(contentType: string | null): boolean {
  return contentType !== null && EVENT_STREAM_TYPE.test(contentType);
}

/** An Accept header that admits `text/event-stream` among its media ranges. */
export function acceptsEventStream(accept: string): boolean {
  return EVENT_STREAM_IN_ACCEPT.test(accept);
}
