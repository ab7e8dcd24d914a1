import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import { toolFindings } from "../scan/checks/tools.ts";
import type { Finding, ListedTool } from "../scan/types.ts";
import type { SecurityEventSink } from "../security-events/types.ts";
import {
  canonicalJson,
  type PinnedDefinition,
  type PinnedKind,
  type PinningMode,
  pinnedDefinition,
} from "./definitions.ts";
import type { ChangeRow, PinningStore } from "./store.ts";

/** What the proxy (or the aggregate catalog) asks of pinning for one server whose mode is not off. */
export interface PinGate {
  mode: PinningMode;
  /** Records the tools of a tools/list answer (changes are stored and reported). */
  review(tools: readonly unknown[]): void;
  /** True when the tool is hidden from tools/list (block-changed only). */
  blocked(tool: string): boolean;
  /** Why a call of this tool is refused (block-changed only; recorded as `tool_blocked`), or undefined. */
  refusal(tool: string): string | undefined;
  /**
   * Changes whenever what `blocked` answers may change (mode, approvals, recorded changes): a list
   * filtered through this gate stays valid while it is the same.
   */
  generation: number;
}

export interface PinningOptions {
  defaultMode: PinningMode;
  descriptionMaxChars: number;
}

interface ServerState {
  mode: PinningMode;
  /** kind:name → approved hash. */
  approved: Map<string, string>;
  /** kind:name → hash of the latest definition seen that is not the approved one. */
  pending: Map<string, string>;
  /** See `PinGate.generation`; unique across servers (one counter for the service). */
  generation: number;
}

export interface ApprovalResult {
  approved: { kind: PinnedKind; name: string }[];
  /** Definitions with a critical finding, left unapproved unless `acceptCritical`. */
  withheld: { kind: PinnedKind; name: string; findings: FindingSummary[] }[];
}

type FindingSummary = Pick<Finding, "id" | "severity" | "title">;

const key = (kind: PinnedKind, name: string) => `${kind}:${name}`;

/**
 * Tool-definition pinning ("rug pull" protection). An administrator approves a server's tools,
 * prompts and resource templates; each definition's hash is stored. A tools/list answer that
 * passes through later is compared: a changed or new tool is stored for review, reported
 * (`tool_definition_changed`), and in `block-changed` mode hidden and its calls refused
 * (`tool_blocked`) until approved. The first definitions seen of a server with nothing approved
 * are approved on first use (trust on first use, like SSH host keys): the moment a server is
 * added is the moment its definitions are trusted, and a later change is what pinning is for —
 * except a definition with a critical audit finding, which waits for an administrator.
 *
 * The state of each server is cached (read once from the database): the proxy's check is a Map
 * lookup.
 */
export class ToolPinning {
  private readonly states = new Map<string, ServerState>();
  private generations = 0;

  constructor(
    private readonly store: PinningStore,
    private readonly events: SecurityEventSink,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: PinningOptions,
  ) {}

  mode(serverId: string): PinningMode {
    return this.state(serverId).mode;
  }

  setMode(serverId: string, mode: PinningMode): void {
    this.store.setMode(serverId, mode, this.clock.now());
    const state = this.state(serverId);
    state.mode = mode;
    state.generation = ++this.generations;
  }

  /** The gate of a server, or undefined when its mode is off (nothing is read then). */
  gate(serverId: string, serverName: string): PinGate | undefined {
    const state = this.state(serverId);
    if (state.mode === "off") return undefined;
    return {
      mode: state.mode,
      generation: state.generation,
      review: (tools) => this.review(serverId, serverName, "tool", tools),
      blocked: (tool) => this.blockReason(serverId, tool) !== undefined,
      refusal: (tool) => this.refusal(serverId, serverName, tool),
    };
  }

  /**
   * Compares listed definitions with the approved ones; stores and reports what changed.
   * `forApproval` (an administrator is approving now): no event, and everything left for `approve`.
   */
  review(
    serverId: string,
    serverName: string,
    kind: PinnedKind,
    items: readonly unknown[],
    forApproval = false,
  ): void {
    const state = this.state(serverId);
    const firstUse = !forApproval && state.approved.size === 0 && state.pending.size === 0;
    const now = this.clock.now();
    const seen: ChangeRow[] = [];
    for (const item of items) {
      const pinned = pinnedDefinition(kind, item);
      if (pinned === undefined) continue;
      const k = key(kind, pinned.name);
      const approvedHash = state.approved.get(k);
      if (approvedHash === pinned.hash) {
        if (state.pending.delete(k)) {
          this.store.dropChange(serverId, kind, pinned.name); // changed back
          state.generation = ++this.generations;
        }
        continue;
      }
      if (state.pending.get(k) === pinned.hash) continue; // already recorded and reported
      const findings = this.findingsOf(pinned);
      const row: ChangeRow = {
        serverId,
        kind,
        name: pinned.name,
        hash: pinned.hash,
        definition: JSON.stringify(pinned.definition),
        findings: JSON.stringify(findings),
        seenAt: now,
      };
      this.store.recordChange(serverId, pinned, row.findings, now);
      state.pending.set(k, pinned.hash);
      state.generation = ++this.generations;
      seen.push(row);
      if (!firstUse && !forApproval)
        this.report(state, serverName, pinned, approvedHash !== undefined, findings);
    }
    if (firstUse && seen.length > 0) {
      const clean = seen.filter((row) => !hasCritical(row));
      this.approveRows(serverId, state, clean, null);
      for (const row of seen.filter(hasCritical)) {
        const pinned = pinnedDefinition(kind, JSON.parse(row.definition)) as PinnedDefinition;
        this.report(state, serverName, pinned, false, JSON.parse(row.findings) as FindingSummary[]);
      }
      this.logger.info(
        { server: serverName, approved: clean.length, withheld: seen.length - clean.length },
        "tool definitions approved on first use",
      );
    }
  }

  /** Approves every definition awaiting review (except those with a critical finding unless accepted). */
  approve(serverId: string, by: string | null, acceptCritical: boolean): ApprovalResult {
    const state = this.state(serverId);
    const rows = this.store.changes(serverId);
    const approve = rows.filter((row) => acceptCritical || !hasCritical(row));
    const withheld = rows.filter((row) => !approve.includes(row));
    this.approveRows(serverId, state, approve, by);
    return {
      approved: approve.map((row) => ({ kind: row.kind as PinnedKind, name: row.name })),
      withheld: withheld.map((row) => ({
        kind: row.kind as PinnedKind,
        name: row.name,
        findings: JSON.parse(row.findings) as FindingSummary[],
      })),
    };
  }

  /** The mode, the approved definitions and each pending difference (approved vs current). */
  view(serverId: string) {
    const state = this.state(serverId);
    const pins = this.store.pins(serverId);
    const approvedOf = new Map(pins.map((pin) => [key(pin.kind as PinnedKind, pin.name), pin]));
    return {
      mode: state.mode,
      approved: pins.map((pin) => ({
        kind: pin.kind,
        name: pin.name,
        hash: pin.hash,
        approved_at: pin.approvedAt,
        approved_by: pin.approvedBy,
      })),
      changes: this.store.changes(serverId).map((row) => {
        const pin = approvedOf.get(key(row.kind as PinnedKind, row.name));
        return {
          kind: row.kind,
          name: row.name,
          change: pin ? "changed" : "new",
          approved: pin ? JSON.parse(pin.definition) : null,
          current: JSON.parse(row.definition),
          differences: pin ? differences(JSON.parse(pin.definition), JSON.parse(row.definition)) : [],
          findings: JSON.parse(row.findings),
          seen_at: row.seenAt,
        };
      }),
    };
  }

  /** The approved tool names of every server but `except` (another server's tools, for shadowing). */
  otherServersToolNames(except: (serverId: string) => boolean): Set<string> {
    return new Set(
      this.store
        .approvedToolNames()
        .filter((row) => !except(row.serverId))
        .map((row) => row.name),
    );
  }

  /** Forgets a removed server's pins (called when the registry no longer has it). */
  forget(serverId: string): void {
    this.store.forget(serverId);
    this.states.delete(serverId);
  }

  /** Why a tool is blocked in block-changed mode, or undefined (approved and unchanged, or another mode). */
  private blockReason(serverId: string, tool: string): string | undefined {
    const state = this.state(serverId);
    if (state.mode !== "block-changed") return undefined;
    const k = key("tool", tool);
    if (state.pending.has(k)) {
      return state.approved.has(k)
        ? "its definition changed since an administrator approved it"
        : "it is new and not approved yet";
    }
    return state.approved.has(k) ? undefined : "it is not approved";
  }

  private refusal(serverId: string, serverName: string, tool: string): string | undefined {
    const reason = this.blockReason(serverId, tool);
    if (reason === undefined) return undefined;
    this.events.record({ type: "tool_blocked", details: { server: serverName, tool, reason } });
    return `Tool "${tool}" is blocked by tool-definition pinning: ${reason}; an administrator must review and approve it`;
  }

  private report(
    state: ServerState,
    serverName: string,
    pinned: PinnedDefinition,
    changed: boolean,
    findings: readonly FindingSummary[],
  ): void {
    const critical = findings.some((f) => f.severity === "critical");
    const details = {
      server: serverName,
      kind: pinned.kind,
      tool: pinned.name,
      change: changed ? "changed" : "new",
      mode: state.mode,
      findings: findings.map((f) => f.id),
    };
    this.events.record({
      type: "tool_definition_changed",
      ...(critical ? { severity: "critical" } : {}),
      details,
    });
    if (state.mode === "block-changed" && pinned.kind === "tool") {
      this.events.record({
        type: "tool_blocked",
        details: { ...details, reason: "hidden from tools/list until approved" },
      });
    }
    this.logger.warn(details, "a tool definition differs from the approved one");
  }

  private approveRows(
    serverId: string,
    state: ServerState,
    rows: readonly ChangeRow[],
    by: string | null,
  ): void {
    if (rows.length === 0) return;
    this.store.approve(serverId, rows, by, this.clock.now());
    for (const row of rows) {
      const k = key(row.kind as PinnedKind, row.name);
      state.approved.set(k, row.hash);
      state.pending.delete(k);
    }
    state.generation = ++this.generations;
  }

  private findingsOf(pinned: PinnedDefinition): FindingSummary[] {
    if (pinned.kind !== "tool") return [];
    return toolFindings(pinned.definition as unknown as ListedTool, {
      descriptionMaxChars: this.options.descriptionMaxChars,
      source: "tools/list",
    }).map(({ id, severity, title }) => ({ id, severity, title }));
  }

  private state(serverId: string): ServerState {
    let state = this.states.get(serverId);
    if (state === undefined) {
      state = {
        mode: this.store.mode(serverId) ?? this.options.defaultMode,
        approved: new Map(
          this.store.pins(serverId).map((pin) => [key(pin.kind as PinnedKind, pin.name), pin.hash]),
        ),
        pending: new Map(
          this.store.changes(serverId).map((row) => [key(row.kind as PinnedKind, row.name), row.hash]),
        ),
        generation: ++this.generations,
      };
      this.states.set(serverId, state);
    }
    return state;
  }
}

function hasCritical(row: ChangeRow): boolean {
  return (JSON.parse(row.findings) as FindingSummary[]).some((f) => f.severity === "critical");
}

/** The top-level fields whose values differ, for the admin's review. */
function differences(approved: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const fields = new Set([...Object.keys(approved), ...Object.keys(current)]);
  return [...fields]
    .filter((field) => canonicalJson(approved[field]) !== canonicalJson(current[field]))
    .sort();
}
