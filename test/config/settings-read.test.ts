// A setting either works or does not exist: every documented setting (src/config/settings/*.ts) is
// read by the code outside src/config that does what it says, or, for the few whose whole effect is
// in loading the configuration, by load.ts under a reason written here.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { Glob } from "bun";
import { type SettingKey, settings } from "../../src/config/settings/index.ts";
import { ROOT } from "../executable/helpers.ts";

/** Settings whose effect is in loading itself, with where it shows. */
const READ_WHILE_LOADING: Partial<Record<SettingKey, string>> = {
  allowInsecureHttp: "refuses an http:// public URL on a non-loopback host",
  sqlitePath: "becomes config.sqliteFile and config.dataDir",
};

async function sources(dir: string, skip: (path: string) => boolean): Promise<string> {
  const texts: string[] = [];
  for await (const path of new Glob("**/*.{ts,tsx}").scan(join(ROOT, dir))) {
    if (!skip(path)) texts.push(await Bun.file(join(ROOT, dir, path)).text());
  }
  return texts.join("\n");
}

/** `config.key`, `config?.key`, or `{ …, key, … } = …config`. */
function reads(text: string, key: string): boolean {
  return (
    new RegExp(`\\bconfig\\??\\.${key}\\b`).test(text) ||
    new RegExp(`\\{[^{}]*\\b${key}\\b[^{}]*\\}\\s*=\\s*[\\w.]*\\bconfig\\b`).test(text)
  );
}

test("every setting is read by the code it names", async () => {
  const code =
    (await sources("src", (path) => path.startsWith("config/"))) + (await sources("views", () => false));
  const loader = await Bun.file(join(ROOT, "src/config/load.ts")).text();
  const unread: string[] = [];
  for (const [key, spec] of Object.entries(settings) as [SettingKey, { env: string }][]) {
    const loading = READ_WHILE_LOADING[key];
    const read = loading ? new RegExp(`\\b(scalar|values)\\.${key}\\b`).test(loader) : reads(code, key);
    if (!read) unread.push(`${spec.env} (${key})`);
  }
  expect(unread).toEqual([]);
});

test("the check sees a setting nobody reads", () => {
  expect(reads("const a = ctx.config.port;", "port")).toBe(true);
  expect(reads("const { publicUrl, webFormTokenMinutes } = ctx.config;", "webFormTokenMinutes")).toBe(true);
  expect(reads("if (server.authRequired) {}", "authRequired")).toBe(false);
  expect(reads("const { authRequired } = server;", "authRequired")).toBe(false);
});
