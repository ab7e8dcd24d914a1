import { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "../../identity/password-policy.ts";
import { USERNAME_PATTERN } from "../../identity/user-service.ts";

const email = z.email({ error: "expected an email address" }).max(254, { error: "at most 254 characters" });
const password = z
  .string({ error: "expected text" })
  .max(PASSWORD_MAX_LENGTH, { error: `at most ${PASSWORD_MAX_LENGTH} characters` });

export const createUserSchema = z.strictObject({
  username: z.string({ error: "expected text" }).regex(USERNAME_PATTERN, {
    error: "expected 3–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  }),
  email,
  password,
  is_admin: z.boolean({ error: "expected true or false" }).optional(),
});

export const patchUserSchema = z
  .strictObject({
    /** A new password (reset): the policy applies, and every credential of the user ends. */
    password,
    is_active: z.boolean({ error: "expected true or false" }),
    is_admin: z.boolean({ error: "expected true or false" }),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { error: "expected at least one field to change" });

export type UserPatch = z.output<typeof patchUserSchema>;
