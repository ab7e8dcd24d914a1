import type { AppContext } from "../context.ts";
import {
  describePasswordProblems,
  type PasswordPolicy,
  passwordProblems,
} from "../identity/password-policy.ts";
import { USERNAME_PATTERN } from "../identity/user-service.ts";
import type { UserRow } from "../identity/user-store.ts";
import { SetupCode } from "./setup-code.ts";

export interface SetupInput {
  username: string;
  email: string;
  password: string;
  passwordConfirm: string;
  /** The one-time setup code from the gateway's log or data directory. */
  setupCode: string;
}

export type SetupResult =
  | { ok: true; user: UserRow }
  | { ok: false; kind: "closed" }
  | { ok: false; kind: "wrong-code"; errors: string[] }
  | { ok: false; kind: "invalid"; errors: string[] };

const EMAIL_RULE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Creates the first administrator, once. Calls are serialised (one at a time per process) and the
 * promotion to admin happens in an IMMEDIATE transaction that re-checks that no admin exists, so
 * two concurrent submissions (even from two processes on the same database) never make two.
 */
export class SetupService {
  private queue: Promise<unknown> = Promise.resolve();
  readonly code: SetupCode;

  constructor(private readonly ctx: AppContext) {
    this.code = new SetupCode(ctx.config.dataDir);
  }

  isOpen(): boolean {
    return !this.ctx.users.hasAdmin();
  }

  /**
   * At composition: a fresh setup code while no administrator exists (`start` prints it), else the
   * removal of a code left behind (an administrator created while the gateway was down).
   */
  prepare(): void {
    if (this.isOpen()) this.code.issue();
    else this.code.remove();
  }

  createFirstAdmin(input: SetupInput): Promise<SetupResult> {
    const run = this.queue.then(() => this.create(input));
    this.queue = run.catch(() => {});
    return run;
  }

  private async create(input: SetupInput): Promise<SetupResult> {
    if (!this.isOpen()) return { ok: false, kind: "closed" };
    // Checked first and alone: without the code, nothing else about the form is answered.
    if (!this.code.matches(input.setupCode)) {
      return {
        ok: false,
        kind: "wrong-code",
        errors: [
          "Setup code: not the code in force. Copy it from the gateway's log or from the file setup-code in its data directory.",
        ],
      };
    }
    const errors: string[] = [];
    if (!USERNAME_PATTERN.test(input.username))
      errors.push("Username: 3–64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    if (input.email.length > 254 || !EMAIL_RULE.test(input.email))
      errors.push("Email: enter an email address.");
    if (input.password !== input.passwordConfirm) errors.push("The two passwords do not match.");
    const passwordRules = passwordProblems(input.password, passwordPolicy(this.ctx));
    // Every problem at once, so one round trip shows them all.
    if (passwordRules.length > 0) errors.push(capitalise(describePasswordProblems(passwordRules)));
    if (errors.length > 0) return { ok: false, kind: "invalid", errors };
    // Created as a plain user, promoted below only if still no admin exists.
    const created = await this.ctx.users.create({
      username: input.username,
      email: input.email,
      password: input.password,
      isAdmin: false,
    });
    if (!created.ok) return { ok: false, kind: "invalid", errors: [capitalise(created.message)] };
    const { users, db } = this.ctx;
    const promoted = db.transaction(
      () => {
        if (users.hasAdmin()) return undefined;
        return users.update(created.user.id, { isAdmin: true });
      },
      { behavior: "immediate" },
    );
    if (!promoted) {
      // Another process finished setup first: the account just made must not stay usable.
      users.update(created.user.id, { isActive: false });
      return { ok: false, kind: "closed" };
    }
    this.code.remove();
    return { ok: true, user: promoted };
  }
}

/** The password policy in force, as the user service applies it. */
export function passwordPolicy(ctx: AppContext): PasswordPolicy {
  const { config } = ctx;
  return {
    minLength: config.passwordMinLength,
    requireUppercase: config.passwordRequireUppercase,
    requireLowercase: config.passwordRequireLowercase,
    requireDigit: config.passwordRequireDigit,
    requireSpecial: config.passwordRequireSpecial,
    passphraseMinLength: config.passwordPassphraseMinLength,
  };
}

/** The rules a new password must follow, in words (for the form's hint). */
export function passwordRulesText(ctx: AppContext): string[] {
  const rules = passwordProblems("", passwordPolicy(ctx));
  return rules.length > 0 ? [capitalise(describePasswordProblems(rules))] : [];
}

function capitalise(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1) + (message.endsWith(".") ? "" : ".");
}
