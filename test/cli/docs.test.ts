import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  README_BEGIN,
  renderEnvExample,
  renderSettingsTable,
  withSettingsTable,
} from "../../src/config/docs.ts";
import { loadConfig } from "../../src/config/load.ts";
import { settings } from "../../src/config/settings/index.ts";
import { ROOT } from "../executable/helpers.ts";

const STALE = "stale: run `bun run docs` to regenerate it from src/config/settings";

describe("generated settings documentation", () => {
  test(".env.example is up to date", () => {
    const current = readFileSync(join(ROOT, ".env.example"), "utf8");
    if (current !== renderEnvExample()) throw new Error(`.env.example is ${STALE}`);
  });

  test("the README's configuration table is up to date", () => {
    const current = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(current).toContain(README_BEGIN);
    if (current !== withSettingsTable(current)) throw new Error(`README.md's settings table is ${STALE}`);
  });

  test("every setting is documented with its name, default and meaning", () => {
    const example = renderEnvExample();
    const table = renderSettingsTable();
    for (const spec of Object.values(settings)) {
      expect(spec.doc.length).toBeGreaterThan(10);
      expect(example).toContain(`# ${spec.env}=${spec.defaultText}\n`);
      expect(table).toMatch(new RegExp(`^\\| \`${spec.env}\` +\\|`, "m"));
    }
  });

  test(".env.example used as it is loads the defaults", () => {
    const file = join(ROOT, ".env.example");
    const withFile = loadConfig({ env: {}, cwd: "/tmp", cli: { envFile: file } }).config;
    const without = loadConfig({ env: {}, cwd: "/tmp", cli: { envFile: "/dev/null" } }).config;
    expect(withFile).toEqual(without);
  });

  test("every setting uncommented at its default in .env.example is accepted and changes nothing", async () => {
    const uncommented = renderEnvExample().replace(/^# ([A-Z][A-Z0-9_]*=.*)$/gm, "$1");
    const file = join(tmpdir(), `env-example-${process.pid}.env`);
    await Bun.write(file, uncommented);
    try {
      // Every value is the default; only where it came from (settingSources: the file) differs.
      const { settingSources: _fromFile, ...loaded } = loadConfig({
        env: {},
        cwd: "/tmp",
        cli: { envFile: file },
      }).config;
      const { settingSources: _none, ...defaults } = loadConfig({
        env: {},
        cwd: "/tmp",
        cli: { envFile: "/dev/null" },
      }).config;
      expect(loaded).toEqual(defaults);
    } finally {
      await Bun.file(file).delete();
    }
  });

  test("a wrong table is detected", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const tampered = readme.replace(/^(\| `PORT` +\| )`8000`/m, "$1`9000`");
    expect(tampered).not.toBe(readme);
    expect(withSettingsTable(tampered)).not.toBe(tampered);
  });
});
