// The Dockerfile cannot be built here (no Docker engine); the chroot test in executable.test.ts
// runs what its final stage holds. This checks the Dockerfile says what that test assumes.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

test("the final stage is FROM scratch with the executable, a non-root user and the healthcheck", async () => {
  const text = await Bun.file(join(ROOT, "Dockerfile")).text();
  const stages = text.split(/^FROM /m).slice(1);
  expect(stages.length).toBeGreaterThanOrEqual(2);
  const last = stages.at(-1) as string;
  expect(last.split("\n")[0]?.trim()).toBe("scratch");
  expect(last).toMatch(/^USER (?!0\b|root\b)\d+/m);
  expect(last).toContain('CMD ["/authmcp-gateway", "healthcheck"]');
  expect(last).toContain("AUTH_SQLITE_PATH=/data/users.db");
  expect(last).not.toMatch(/^RUN /m); // nothing can run in scratch: no shell
  expect(text).toContain("ldd /rootfs/authmcp-gateway");
  expect(text).toContain("bun install --frozen-lockfile");
  expect(text).toContain("bun run build");
});
