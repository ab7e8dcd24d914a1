/** How many SSE answers the gateway is passing on to clients right now (a `/metrics` gauge). */
export class OpenStreams {
  private open = 0;

  get count(): number {
    return this.open;
  }

  /** Counts one stream from now on; the function returned ends the count (only the first call counts). */
  opened(): () => void {
    this.open++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
    };
  }
}

/** `response` with its SSE body counted in `streams` while it is open; any other answer as it is. */
export function countedSse(response: Response, streams: OpenStreams | undefined): Response {
  if (streams === undefined) return response;
  // The content type first: reading `body` of an answer made from a string builds a stream.
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) return response;
  const body = response.body;
  if (body === null) return response;
  const end = streams.opened();
  const reader = body.getReader();
  const counted = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end();
            controller.close();
            return;
          }
          controller.enqueue(value);
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      cancel(reason) {
        end();
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(counted, { status: response.status, headers: response.headers });
}
