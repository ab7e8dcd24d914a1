import type { Clock } from "../clock.ts";
import { describePasswordProblems, type PasswordPolicy, passwordProblems } from "./password-policy.ts";
import type { UserRow, UserStore } from "./user-store.ts";

/** What the hot path needs to know about a user: cached, invalidated on every change. */
export interface Principal {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  isActive: boolean;
  /** The upstream identity the user signed in with last (src/identity/upstream), for backends. */
  upstream?: UpstreamSummary;
}

/** What backends learn of a user's upstream identity (the provider's slug, its subject, email, groups). */
export interface UpstreamSummary {
  provider: string;
  subject: string;
  email: string | null;
  groups: string[];
  /** Every provider the user has a linked identity at (per-server provider lists read it). */
  linkedProviders: string[];
}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isAdmin?: boolean;
}

export type CreateUserResult =
  | { ok: true; user: UserRow }
  | { ok: false; kind: "weak_password"; message: string; rules: string[] }
  | { ok: false; kind: "conflict"; message: string; field: "username" | "email" };

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

export class UserService {
  private readonly principals = new Map<string, Principal | null>();
  private readonly endedListeners: ((userId: string) => void)[] = [];
  private readonly roleListeners: ((userId: string) => void)[] = [];
  /** A hash to verify against when the user does not exist, so both cases cost the same. */
  private dummyHash: Promise<string> | undefined;
  private upstreamOf: (userId: string) => UpstreamSummary | undefined = () => undefined;

  constructor(
    private readonly store: UserStore,
    private readonly policy: PasswordPolicy,
    private readonly clock: Clock,
  ) {}

  async create(input: NewUser): Promise<CreateUserResult> {
    const rules = passwordProblems(input.password, this.policy);
    if (rules.length > 0)
      return { ok: false, kind: "weak_password", message: describePasswordProblems(rules), rules };
    // Hashed before the uniqueness check: a taken name costs the same time as a new account, so
    // self-registration (which answers both alike) does not reveal it by its timing.
    const passwordHash = await Bun.password.hash(input.password, { algorithm: "argon2id" });
    const taken = this.store.usernameOrEmailTaken(input.username, input.email);
    if (taken.username)
      return { ok: false, kind: "conflict", field: "username", message: "username is already taken" };
    if (taken.email)
      return { ok: false, kind: "conflict", field: "email", message: "email is already registered" };
    const now = this.clock.now();
    try {
      const user = this.store.insert({
        id: Bun.randomUUIDv7(),
        username: input.username,
        email: input.email,
        passwordHash,
        isAdmin: input.isAdmin ?? false,
        isActive: true,
        createdAt: now,
        updatedAt: now,
      });
      return { ok: true, user };
    } catch (error) {
      // A concurrent insert won the race for the unique index.
      if (String(error).includes("UNIQUE")) {
        return {
          ok: false,
          kind: "conflict",
          field: "username",
          message: "username or email is already taken",
        };
      }
      throw error;
    }
  }

  /** The active user with this username (or email) and password; null otherwise, in the same time either way. */
  async authenticate(login: string, password: string): Promise<UserRow | null> {
    const user = login.length <= 254 ? this.store.byLogin(login) : undefined;
    this.dummyHash ??= Bun.password.hash(crypto.randomUUID(), { algorithm: "argon2id" });
    const hash = user?.passwordHash ?? (await this.dummyHash);
    const matches = password.length <= 4096 && (await Bun.password.verify(password, hash).catch(() => false));
    if (!user?.passwordHash || !matches || !user.isActive) return null;
    return this.store.update(user.id, { lastLoginAt: this.clock.now() }) ?? null;
  }

  /** What failed sign-ins are counted under: the account when the name is one, else the name itself. */
  lockoutKey(login: string): string {
    const user = login.length <= 254 ? this.store.byLogin(login) : undefined;
    return user ? `user:${user.id}` : `name:${login.toLowerCase()}`;
  }

  /** Cached identity for token checks; undefined for a user that does not exist. */
  principal(userId: string): Principal | undefined {
    let cached = this.principals.get(userId);
    if (cached === undefined) {
      const row = this.store.byId(userId);
      const upstream = row ? this.upstreamOf(row.id) : undefined;
      cached = row ? { ...toPrincipal(row), ...(upstream ? { upstream } : {}) } : null;
      if (this.principals.size > 100_000) this.principals.clear();
      this.principals.set(userId, cached);
    }
    return cached ?? undefined;
  }

  byId(id: string): UserRow | undefined {
    return this.store.byId(id);
  }

  /** The upstream identity module tells principals their upstream identity through this. */
  useUpstreamLookup(lookup: (userId: string) => UpstreamSummary | undefined): void {
    this.upstreamOf = lookup;
  }

  /** Forgets the cached principal (its upstream identity changed). */
  refreshPrincipal(id: string): void {
    this.principals.delete(id);
  }

  /**
   * A user who signs in only through an upstream provider: no password. Fails with a conflict
   * when the username or email is taken.
   */
  createExternal(input: { username: string; email: string }): CreateUserResult {
    const taken = this.store.usernameOrEmailTaken(input.username, input.email);
    if (taken.username)
      return { ok: false, kind: "conflict", field: "username", message: "username is already taken" };
    if (taken.email)
      return { ok: false, kind: "conflict", field: "email", message: "email is already registered" };
    const now = this.clock.now();
    try {
      const user = this.store.insert({
        id: Bun.randomUUIDv7(),
        username: input.username,
        email: input.email,
        passwordHash: null,
        isAdmin: false,
        isActive: true,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: now,
      });
      return { ok: true, user };
    } catch (error) {
      if (String(error).includes("UNIQUE"))
        return {
          ok: false,
          kind: "conflict",
          field: "username",
          message: "username or email is already taken",
        };
      throw error;
    }
  }

  /** Records a sign-in that did not go through the password form (upstream providers). */
  touchLogin(id: string): void {
    this.store.update(id, { lastLoginAt: this.clock.now() });
  }

  /** The user with this username (case-insensitive; never matched by email). */
  byUsername(username: string): UserRow | undefined {
    const row = username.length <= 254 ? this.store.byLogin(username) : undefined;
    return row?.username.toLowerCase() === username.toLowerCase() ? row : undefined;
  }

  hasAdmin(): boolean {
    return this.store.countAdmins() > 0;
  }

  list(): UserRow[] {
    return this.store.list();
  }

  page(query: string | undefined, limit: number, offset: number): { rows: UserRow[]; total: number } {
    return this.store.page(query, limit, offset);
  }

  remove(id: string): boolean {
    const removed = this.store.delete(id);
    this.principals.delete(id);
    return removed;
  }

  /**
   * Stores of credentials the identity module does not own (MCP sessions in the gateway) register
   * here to forget a user's credentials when they end (account disabled, password reset, deleted).
   */
  onCredentialsEnded(listener: (userId: string) => void): void {
    this.endedListeners.push(listener);
  }

  credentialsEnded(userId: string): void {
    for (const listener of this.endedListeners) listener(userId);
  }

  /** Called after a user's admin role or active state was updated (what access decisions read). */
  onRoleChanged(listener: (userId: string) => void): void {
    this.roleListeners.push(listener);
  }

  update(id: string, patch: { isActive?: boolean; isAdmin?: boolean; email?: string }): UserRow | undefined {
    const before = this.principals.get(id) ?? undefined;
    const row = this.store.update(id, { ...patch, updatedAt: this.clock.now() });
    this.principals.delete(id);
    const changed =
      row !== undefined &&
      (before === undefined || before.isAdmin !== row.isAdmin || before.isActive !== row.isActive);
    if (changed && (patch.isAdmin !== undefined || patch.isActive !== undefined)) {
      for (const listener of this.roleListeners) listener(id);
    }
    return row;
  }

  async setPassword(id: string, password: string): Promise<CreateUserResult | { ok: true; user: UserRow }> {
    const rules = passwordProblems(password, this.policy);
    if (rules.length > 0)
      return { ok: false, kind: "weak_password", message: describePasswordProblems(rules), rules };
    const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
    const user = this.store.update(id, { passwordHash, updatedAt: this.clock.now() });
    this.principals.delete(id);
    if (!user) throw new Error(`no user ${id}`);
    return { ok: true, user };
  }
}

export function toPrincipal(row: UserRow): Principal {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isAdmin: row.isAdmin,
    isActive: row.isActive,
  };
}

/** The public view of a user: what the API returns. */
export function publicUser(row: UserRow) {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    is_admin: row.isAdmin,
    is_active: row.isActive,
    created_at: new Date(row.createdAt).toISOString(),
    last_login_at: row.lastLoginAt ? new Date(row.lastLoginAt).toISOString() : null,
  };
}
