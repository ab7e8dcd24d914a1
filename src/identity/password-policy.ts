import { COMMON_PASSWORDS } from "./common-passwords.ts";

export interface PasswordPolicy {
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigit: boolean;
  requireSpecial: boolean;
  /**
   * From this many characters on, a password is a passphrase: the class rules above do not apply
   * (NIST SP 800-63B §3.1.1.2: length, not composition, makes a memorized secret strong).
   */
  passphraseMinLength: number;
}

/** Longest password accepted: argon2 hashes anything, but a megabyte of password is an attack. */
export const PASSWORD_MAX_LENGTH = 1024;

const COMMON = new Set(COMMON_PASSWORDS);

/** A commonly used or leaked password, compared case-insensitively and without surrounding spaces. */
export function isCommonPassword(password: string): boolean {
  return COMMON.has(password.trim().toLowerCase());
}

/** Every rule the password breaks, in words a person reads on a form; empty when it is acceptable. */
export function passwordProblems(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  const characters = [...password];
  const spaces = characters.filter((c) => /\s/u.test(c)).length;
  if (characters.length < policy.minLength) problems.push(`at least ${policy.minLength} characters`);
  else if (characters.length - spaces < policy.minLength) {
    // "        A1a" is not eleven characters of secret: spaces are cheap to guess.
    problems.push(`at least ${policy.minLength} characters other than spaces`);
  } else if (spaces * 2 > characters.length) problems.push("mostly characters other than spaces");
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`at most ${PASSWORD_MAX_LENGTH} characters`);
  if (characters.length < policy.passphraseMinLength) {
    if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push("an uppercase letter");
    if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push("a lowercase letter");
    if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push("a digit");
    if (policy.requireSpecial && !/[^\p{L}\p{Nd}]/u.test(password))
      problems.push("a character that is not a letter or digit");
  }
  if (isCommonPassword(password)) problems.push("something other than a commonly used password");
  return problems;
}

export function describePasswordProblems(problems: string[]): string {
  return `password must contain ${problems.join(", ")}`;
}
