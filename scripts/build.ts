// Compiles the gateway into one executable: `bun run build` → dist/authmcp-gateway.
// Views, static files and migrations are imported by the code (`with { type: "file" | "text" }`),
// so the bundler embeds them. No whitespace minification: it breaks Elysia.
// Usage: bun scripts/build.ts [--outfile PATH] [--target bun-linux-x64|...]
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const args = Bun.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const outfile = resolve(root, option("--outfile") ?? "dist/authmcp-gateway");
const target = option("--target");

const command = [
  process.execPath,
  "build",
  "--compile",
  "--format=esm",
  "--bytecode",
  // The gateway reads .env itself (with --env-file and validation); bunfig.toml is for bun test only.
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  ...(target ? [`--target=${target}`] : []),
  "src/main.ts",
  // A second entry point: the MCP activity writer thread (new Worker in src/audit/activity/writer.ts).
  "src/audit/activity/writer-worker.ts",
  "--outfile",
  outfile,
];
const proc = Bun.spawnSync(command, { cwd: root, stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) {
  console.error(`build failed (exit ${proc.exitCode})`);
  process.exit(proc.exitCode ?? 1);
}
console.log(`built ${outfile}`);
