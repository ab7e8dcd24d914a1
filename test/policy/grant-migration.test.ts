import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/db/connection.ts";
import { applyMigrations, embeddedMigrations } from "../../src/db/migrate.ts";
import { journal } from "../../src/db/migrations.gen.ts";
import { tempDir } from "../support/context.ts";

describe("migrating the per-user grant table", () => {
  test("every row of mcp_server_users becomes a user grant of every tool; the old table is gone", () => {
    const db = openDatabase(join(tempDir(), "gw.db"), { busyTimeoutMs: 1000 });
    const all = embeddedMigrations();
    const index = journal.entries.findIndex((e) => e.tag === "0006_user_grants_to_grants");
    expect(index).toBeGreaterThan(0);
    applyMigrations(db, all.slice(0, index));
    const sqlite = db.$client;
    sqlite.run(
      "INSERT INTO users (id, username, email, password_hash, is_admin, is_active, created_at, updated_at) VALUES ('u1', 'alice', 'a@example.test', NULL, 0, 1, 1, 1)",
    );
    sqlite.run(
      "INSERT INTO mcp_server_users (server_id, user_id, created_at) VALUES ('srv_a', 'u1', 1000), ('cfg-files', 'u1', 2000)",
    );
    applyMigrations(db, all);
    const rows = sqlite
      .query(
        "SELECT server_id, principal_type, principal_id, allowed_tools, denied_tools, created_at, id FROM mcp_server_grants ORDER BY server_id",
      )
      .all() as Record<string, unknown>[];
    expect(rows.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        server_id: "cfg-files",
        principal_type: "user",
        principal_id: "u1",
        allowed_tools: null,
        denied_tools: "[]",
        created_at: 2000,
      },
      {
        server_id: "srv_a",
        principal_type: "user",
        principal_id: "u1",
        allowed_tools: null,
        denied_tools: "[]",
        created_at: 1000,
      },
    ]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    expect(sqlite.query("SELECT name FROM sqlite_master WHERE name = 'mcp_server_users'").get()).toBeNull();
    sqlite.close();
  });
});
