export interface PasswordPolicy {
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigit: boolean;
  requireSpecial: boolean;
}

/** Longest password accepted: argon2 hashes anything, but a megabyte of password is an attack. */
export const PASSWORD_MAX_LENGTH = 1024;

/** Every rule the password breaks, in words a person reads on a form; empty when it is acceptable. */
export function passwordProblems(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  if ([...password].length < policy.minLength) problems.push(`at least ${policy.minLength} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`at most ${PASSWORD_MAX_LENGTH} characters`);
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push("an uppercase letter");
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push("a lowercase letter");
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push("a digit");
  if (policy.requireSpecial && !/[^\p{L}\p{Nd}]/u.test(password))
    problems.push("a character that is not a letter or digit");
  return problems;
}

export function describePasswordProblems(problems: string[]): string {
  return `password must contain ${problems.join(", ")}`;
}
