import type { TestGateway } from "../support/context.ts";

/**
 * Opens an SSE response through `gateway.request` and collects its text; `until` reads it until a
 * predicate holds (bounded: at most ~10 s), then `close` ends the stream from the client's side.
 */
export async function openStream(gateway: TestGateway, path: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const response = await gateway.request(path, { headers, signal: abort.signal });
  let text = "";
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let pending: ReturnType<NonNullable<typeof reader>["read"]> | undefined;
  return {
    response,
    text: () => text,
    async until(what: string, check: (text: string) => boolean): Promise<string> {
      if (!reader) throw new Error(`no stream body (${response.status})`);
      for (let i = 0; i < 100 && !check(text); i++) {
        pending ??= reader.read();
        const result = await Promise.race([pending, Bun.sleep(100).then(() => undefined)]);
        if (result === undefined) continue;
        pending = undefined;
        if (result.done) break;
        text += decoder.decode(result.value);
      }
      if (!check(text)) throw new Error(`never: ${what}; got:\n${text}`);
      return text;
    },
    close() {
      abort.abort();
      reader?.cancel().catch(() => {});
    },
  };
}

/** The `data` of each SSE event named `event` in `text`, parsed as JSON. */
export function eventsOf(text: string, event: string): unknown[] {
  return text
    .split("\n\n")
    .filter((block) => block.split("\n").includes(`event: ${event}`))
    .map((block) => {
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      return JSON.parse(data?.slice(6) ?? "null") as unknown;
    });
}

/**
 * Waits until the access-log lines of `count` POSTs to `path` are in the ring: a request's line is
 * written once its answer has gone, which may be after the test's next statement ran.
 */
export async function accessLogged(gateway: TestGateway, path: string, count: number): Promise<void> {
  const logged = () =>
    gateway.ctx.logs.ring
      .recent({}, 1000)
      .filter((line) => line.msg === "request" && line.fields.method === "POST" && line.fields.path === path)
      .length;
  for (let i = 0; i < 400 && logged() < count; i++) await Bun.sleep(5);
}
