// The shutdown waits for the logger's asynchronous writes (src/logger.ts drainLogger) before the
// process exits: a line logged just before is in the destination once it returns.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { createLogger, drainLogger } from "../../src/logger.ts";
import { tempDir } from "../support/context.ts";

test("drainLogger returns once the asynchronous writes are done: the last line is in the file", async () => {
  for (const sinks of [[], [{ write: () => {} }]]) {
    const file = join(tempDir(), "out.log");
    const destination = pino.destination({ dest: file, sync: false, mkdir: true });
    await new Promise((resolve) => destination.once("ready", resolve));
    const logger = createLogger("info", destination, sinks);
    for (let i = 0; i < 200; i++) logger.info({ i, padding: "x".repeat(500) }, "line");
    logger.info({ signal: "SIGINT" }, "stopping");
    await drainLogger(logger, 5000);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(201);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ msg: "stopping", signal: "SIGINT" });
  }
});
