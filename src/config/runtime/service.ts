import type { Clock } from "../../clock.ts";
import type { Db } from "../../db/connection.ts";
import type { Logger } from "../../logger.ts";
import type { Config, SettingSource } from "../load.ts";
import { type SettingKey, settings } from "../settings/index.ts";
import type { SettingKind, SettingSpec } from "../settings/kinds.ts";
import { isRuntimeSettingKey, RUNTIME_SETTING_GROUPS, type RuntimeSettingKey } from "./editable.ts";
import { RuntimeSettingStore } from "./store.ts";

/** Where a value in force comes from: the start's sources, "admin" (stored here) or the default. */
export type SourceKind = "command line" | "environment" | "env file" | "config file" | "admin" | "default";

export interface RuntimeSettingView {
  key: RuntimeSettingKey;
  env: string;
  group: string;
  description: string;
  kind: SettingKind;
  value: unknown;
  default: unknown;
  source: SourceKind;
  /** The file of an env file or config file source. */
  sourcePath?: string;
  /** False when a start source fixes the value: change it there and restart. */
  editable: boolean;
  updatedAt?: number;
  updatedBy?: string;
}

/** One refused key of a change, and why: `fixed` when a start source sets it (409), else invalid (400). */
export interface SettingProblem {
  key: string;
  message: string;
  fixed: boolean;
}

export type SettingChange = Record<string, unknown>;

export type ChangeResult =
  | { ok: true; changed: Partial<Record<RuntimeSettingKey, { before: unknown; after: unknown }>> }
  | { ok: false; problems: SettingProblem[] };

const spec = (key: SettingKey): SettingSpec => settings[key] as SettingSpec;
const defaultOf = (key: SettingKey): unknown => spec(key).schema.parse(undefined);

function describeSource(source: SettingSource): { kind: SourceKind; path?: string } {
  if (source.startsWith("env file ")) return { kind: "env file", path: source.slice("env file ".length) };
  if (source.startsWith("config file "))
    return { kind: "config file", path: source.slice("config file ".length) };
  return { kind: source as SourceKind };
}

/**
 * The runtime-editable settings (editable.ts). A change is validated with each setting's own
 * schema, stored (all or nothing) and then written into `ctx.config` itself: consumers read the
 * config on every request, so nothing needs a restart. At start the stored values are applied to
 * the settings no start source (environment, env file, config file, command line) sets, so those
 * sources always win over a value changed here and the value changed here wins over the default.
 */
export class RuntimeSettings {
  private readonly store: RuntimeSettingStore;
  private readonly stored = new Map<string, { updatedAt: number; updatedBy: string }>();

  constructor(
    private readonly config: Config,
    db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.store = new RuntimeSettingStore(db);
    const values = config as unknown as Record<string, unknown>;
    for (const row of this.store.all()) {
      if (!isRuntimeSettingKey(row.key) || this.fixedBy(row.key)) continue;
      const parsed = spec(row.key).schema.safeParse(safeJson(row.value));
      if (!parsed.success) {
        // Bounds may have narrowed since it was stored: the default applies, and the log says so.
        logger.warn({ setting: row.key }, "a stored runtime setting is no longer valid; its default applies");
        continue;
      }
      values[row.key] = parsed.data;
      this.stored.set(row.key, { updatedAt: row.updatedAt, updatedBy: row.updatedBy });
    }
  }

  /** The start source that fixes `key`, if any. */
  fixedBy(key: SettingKey): SettingSource | undefined {
    return this.config.settingSources[key];
  }

  list(): RuntimeSettingView[] {
    return RUNTIME_SETTING_GROUPS.flatMap((group) => group.keys.map((key) => this.view(key, group.title)));
  }

  view(key: RuntimeSettingKey, group = groupOf(key)): RuntimeSettingView {
    const s = spec(key);
    const fixed = this.fixedBy(key);
    const stored = this.stored.get(key);
    const source = fixed ? describeSource(fixed) : { kind: (stored ? "admin" : "default") as SourceKind };
    return {
      key,
      env: s.env,
      group,
      description: s.doc,
      // Every runtime setting is made by int, bool or oneOf (editable.ts), which set the kind.
      kind: s.kind as SettingKind,
      value: (this.config as unknown as Record<string, unknown>)[key],
      default: defaultOf(key),
      source: source.kind,
      ...(source.path !== undefined ? { sourcePath: source.path } : {}),
      editable: fixed === undefined,
      ...(stored && !fixed ? stored : {}),
    };
  }

  /**
   * Validates every key of `change` (a value, or null for the default), then stores and applies all
   * of them, or none when one is refused.
   */
  update(change: SettingChange, adminId: string): ChangeResult {
    const problems: SettingProblem[] = [];
    const accepted: { key: RuntimeSettingKey; value: unknown; reset: boolean }[] = [];
    const entries = Object.entries(change);
    if (entries.length === 0) {
      return { ok: false, problems: [{ key: "", message: "expected at least one setting", fixed: false }] };
    }
    for (const [key, value] of entries) {
      const shownKey = key.slice(0, 100);
      if (!isRuntimeSettingKey(key)) {
        const known = Object.hasOwn(settings, key);
        problems.push({
          key: shownKey,
          message: known ? "not editable at run time" : "unknown setting",
          fixed: false,
        });
        continue;
      }
      const fixed = this.fixedBy(key);
      if (fixed) {
        problems.push({
          key,
          message: `set by the ${fixed} (${spec(key).env}); change it there and restart`,
          fixed: true,
        });
        continue;
      }
      if (value === null) {
        accepted.push({ key, value: defaultOf(key), reset: true });
        continue;
      }
      if (value === undefined || typeof value === "object") {
        problems.push({ key, message: describeKind(spec(key).kind), fixed: false });
        continue;
      }
      const parsed = spec(key).schema.safeParse(value);
      if (!parsed.success) {
        problems.push({ key, message: parsed.error.issues[0]?.message ?? "invalid value", fixed: false });
        continue;
      }
      accepted.push({ key, value: parsed.data, reset: false });
    }
    if (problems.length > 0) return { ok: false, problems };

    const now = this.clock.now();
    this.store.put(
      accepted.filter((a) => !a.reset),
      adminId,
      now,
    );
    this.store.remove(accepted.filter((a) => a.reset).map((a) => a.key));
    const values = this.config as unknown as Record<string, unknown>;
    const changed: Partial<Record<RuntimeSettingKey, { before: unknown; after: unknown }>> = {};
    for (const { key, value, reset } of accepted) {
      changed[key] = { before: values[key], after: value };
      values[key] = value;
      if (reset) this.stored.delete(key);
      else this.stored.set(key, { updatedAt: now, updatedBy: adminId });
    }
    this.logger.info({ settings: Object.keys(changed), by: adminId }, "runtime settings changed");
    return { ok: true, changed };
  }
}

function groupOf(key: RuntimeSettingKey): string {
  return RUNTIME_SETTING_GROUPS.find((g) => (g.keys as readonly string[]).includes(key))?.title ?? "";
}

function describeKind(kind: SettingKind | undefined): string {
  if (kind?.type === "int") return `expected a whole number from ${kind.min} to ${kind.max}`;
  if (kind?.type === "bool") return "expected true or false";
  if (kind?.type === "oneOf") return `expected one of ${kind.values.join(", ")}`;
  return "expected a value";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
