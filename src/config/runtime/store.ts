import { inArray } from "drizzle-orm";
import type { Db } from "../../db/connection.ts";
import { runtimeSettings } from "../../db/schema/runtime-settings.ts";

export interface StoredSetting {
  key: string;
  /** The JSON text of the value. */
  value: string;
  updatedAt: number;
  updatedBy: string;
}

/** The values administrators set at run time (table runtime_settings). */
export class RuntimeSettingStore {
  constructor(private readonly db: Db) {}

  all(): StoredSetting[] {
    return this.db.select().from(runtimeSettings).all();
  }

  /** Writes every value in one transaction: all of them are stored or none. */
  put(values: { key: string; value: unknown }[], updatedBy: string, now: number): void {
    this.db.transaction((tx) => {
      for (const { key, value } of values) {
        const row = { value: JSON.stringify(value), updatedAt: now, updatedBy };
        tx.insert(runtimeSettings)
          .values({ key, ...row })
          .onConflictDoUpdate({ target: runtimeSettings.key, set: row })
          .run();
      }
    });
  }

  remove(keys: string[]): void {
    if (keys.length > 0) this.db.delete(runtimeSettings).where(inArray(runtimeSettings.key, keys)).run();
  }
}
