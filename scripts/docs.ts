// Regenerates .env.example and the settings table in README.md from src/config/settings.
// `bun run docs` writes them; `bun scripts/docs.ts --check` exits 1 when either is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderEnvExample, withSettingsTable } from "../src/config/docs.ts";

const root = resolve(import.meta.dir, "..");
const check = Bun.argv.includes("--check");
const targets = [
  { path: resolve(root, ".env.example"), render: () => renderEnvExample() },
  {
    path: resolve(root, "README.md"),
    render: () => withSettingsTable(readFileSync(resolve(root, "README.md"), "utf8")),
  },
];
let stale = false;
for (const { path, render } of targets) {
  const wanted = render();
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {
    // missing: stale
  }
  if (current === wanted) continue;
  if (check) {
    console.error(`${path} is stale: run \`bun run docs\``);
    stale = true;
  } else {
    writeFileSync(path, wanted);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
