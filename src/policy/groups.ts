import type { Clock } from "../clock.ts";
import type { AccessPolicy } from "./access-policy.ts";
import type { GroupRow, PolicyStore } from "./policy-store.ts";

export interface GroupInput {
  name: string;
  description?: string;
}

export type GroupResult = { ok: true; group: GroupRow } | { ok: false; status: 404 | 409; message: string };

/** Groups themselves (name, description); memberships and grants are the access policy's. */
export class GroupService {
  constructor(
    private readonly store: PolicyStore,
    private readonly policy: AccessPolicy,
    private readonly clock: Clock,
  ) {}

  page(query: string | undefined, limit: number, offset: number) {
    return this.store.groupPage(query, limit, offset);
  }

  byId(id: string): GroupRow | undefined {
    return this.store.group(id);
  }

  members(id: string) {
    return this.store.members(id);
  }

  create(input: GroupInput): GroupResult {
    if (this.store.groupNameTaken(input.name)) {
      return { ok: false, status: 409, message: "name: a group with this name exists" };
    }
    const now = this.clock.now();
    const group = this.store.insertGroup({
      id: `grp_${Bun.randomUUIDv7()}`,
      name: input.name,
      description: input.description ?? "",
      createdAt: now,
      updatedAt: now,
    });
    return { ok: true, group };
  }

  update(id: string, patch: Partial<GroupInput>): GroupResult {
    if (!this.store.group(id)) return { ok: false, status: 404, message: "no such group" };
    if (patch.name !== undefined && this.store.groupNameTaken(patch.name, id)) {
      return { ok: false, status: 409, message: "name: a group with this name exists" };
    }
    const group = this.store.updateGroup(id, { ...patch, updatedAt: this.clock.now() });
    if (!group) return { ok: false, status: 404, message: "no such group" };
    return { ok: true, group };
  }

  remove(id: string): boolean {
    return this.policy.removeGroup(id);
  }
}
