// A bare Bun proxy to the backend (fetch, no checks), one mode per process. Prints its URL as one
// JSON line on stdout once listening. Run by bench/proxy.ts.
//   streamed:    pipes the request body;
//   read:        reads the body first, sends it with a length, answers with a new Response around
//                the backend's body;
//   passthrough: reads the body, returns the backend's Response object itself (as the gateway
//                does for answers that are not SSE);
//   deadlines:   passthrough plus the two behaviours the issue requires of every proxied request,
//                done as the gateway does them (src/gateway/upstream-watch.ts): the first-byte
//                timeout and the abort when the client goes away. Not a reference: it shows what
//                those two cost on their own.

import { UpstreamWatch } from "../../src/gateway/upstream-watch.ts";
import { IDLE_TIMEOUT_SECONDS } from "../../src/http/idle-timeout.ts";

const MODES = ["streamed", "read", "passthrough", "deadlines"] as const;
type Mode = (typeof MODES)[number];

const [backendUrl, mode] = process.argv.slice(2) as [string, Mode];
if (!backendUrl || !MODES.includes(mode)) {
  console.error(`usage: bun bench/targets/bare-proxy.ts BACKEND_URL ${MODES.join("|")}`);
  process.exit(2);
}
const watch = new UpstreamWatch(100);

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  fetch: async (request) => {
    if (mode === "deadlines") {
      const body = await request.bytes();
      const call = watch.start(request, 30_000);
      try {
        return await fetch(backendUrl, {
          method: request.method,
          headers: request.headers,
          body,
          decompress: false,
          signal: call.signal,
        });
      } finally {
        watch.end(call);
      }
    }
    const upstream = await fetch(backendUrl, {
      method: request.method,
      headers: request.headers,
      body: mode === "streamed" ? request.body : await request.bytes(),
      // @ts-expect-error Bun's fetch accepts duplex
      duplex: "half",
      decompress: false,
    });
    if (mode === "passthrough") return upstream;
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
});
process.on("SIGTERM", () => process.exit(0));
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}/mcp` }));
