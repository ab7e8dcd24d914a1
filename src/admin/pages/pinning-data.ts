import { hashOf } from "../../audit/pinning/definitions.ts";
import type { ToolPinning } from "../../audit/pinning/service.ts";
import { visible } from "../../audit/scan/checks/tools.ts";
import type { FindingSeverity } from "../../audit/scan/types.ts";
import type { Gateway } from "../../gateway/module.ts";
import type { McpServer } from "../../gateway/types.ts";

/** One line of a pretty-printed value, marked when the other side does not have it. */
export interface DiffLine {
  text: string;
  marked: boolean;
}

/** One field of a definition that differs: its approved and its current value, line by line. */
export interface FieldDifference {
  field: string;
  /** Undefined when the field is absent on that side (or nothing was approved: a new definition). */
  approved?: DiffLine[];
  current?: DiffLine[];
}

export interface PendingChange {
  kind: string;
  name: string;
  change: "changed" | "new";
  seenAt: number;
  findings: { id: string; severity: FindingSeverity; title: string }[];
  fields: FieldDifference[];
}

export interface PinningServer {
  id: string;
  name: string;
  displayName: string;
  transport: McpServer["transport"];
  mode: ReturnType<ToolPinning["mode"]>;
  approvedCount: number;
  changes: PendingChange[];
  /** Digest of the pending definitions shown: an approval applies only to what the admin saw. */
  digest: string;
}

type PinningView = ReturnType<ToolPinning["view"]>;

/** Every registered server with its pinning state, those with pinning on first. */
export function pinningServers(gateway: Gateway): PinningServer[] {
  return gateway.registry
    .list()
    .map((server) => pinningServer(server, gateway.pinning.view(server.id)))
    .sort((a, b) => Number(a.mode === "off") - Number(b.mode === "off") || a.name.localeCompare(b.name));
}

function pinningServer(server: McpServer, view: PinningView): PinningServer {
  return {
    id: server.id,
    name: server.name,
    displayName: server.displayName,
    transport: server.transport,
    mode: view.mode,
    approvedCount: view.approved.length,
    changes: view.changes.map(pendingChange),
    digest: pendingDigest(view),
  };
}

/** A digest of the pending definitions (kind, name, hash of the current definition). */
export function pendingDigest(view: PinningView): string {
  return hashOf(
    view.changes.map((change) => `${change.kind}:${change.name}:${hashOf(change.current)}`).sort(),
  );
}

function pendingChange(change: PinningView["changes"][number]): PendingChange {
  const approved = (change.approved ?? undefined) as Record<string, unknown> | undefined;
  const current = change.current as Record<string, unknown>;
  const fields = approved === undefined ? Object.keys(current) : change.differences;
  return {
    kind: change.kind,
    name: visible(change.name),
    change: change.change === "changed" ? "changed" : "new",
    seenAt: change.seen_at,
    findings: change.findings as PendingChange["findings"],
    fields: fields.map((field) => fieldDifference(field, approved?.[field], current[field])),
  };
}

function fieldDifference(field: string, approved: unknown, current: unknown): FieldDifference {
  const before = approved === undefined ? undefined : pretty(approved);
  const after = current === undefined ? undefined : pretty(current);
  const mark = (lines: string[], other: string[] | undefined): DiffLine[] => {
    const others = new Set(other ?? []);
    return lines.map((text) => ({ text, marked: other !== undefined && !others.has(text) }));
  };
  return {
    field,
    approved: before === undefined ? undefined : mark(before, after),
    current: after === undefined ? undefined : mark(after, before),
  };
}

/**
 * A value as the admin reads it: strings as they are, anything else as indented JSON; invisible
 * and control characters shown as `\u{…}` (Unicode tags, ANSI escapes hide instructions).
 */
function pretty(value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return text.replace(/\r\n?/g, "\n").split("\n").map(visible);
}
