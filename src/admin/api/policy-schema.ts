import { z } from "zod";

const NO_CONTROL = /^[^\p{Cc}]*$/u;

const groupName = z
  .string({ error: "expected text" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(100, { error: "at most 100 characters" })
  .regex(NO_CONTROL, { error: "must not contain control characters" });
const description = z
  .string({ error: "expected text" })
  .max(1000, { error: "at most 1000 characters" })
  .regex(NO_CONTROL, { error: "must not contain control characters" });

export const createGroupSchema = z.strictObject({ name: groupName, description: description.optional() });

export const patchGroupSchema = z
  .strictObject({ name: groupName, description })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { error: "expected at least one field to change" });

const toolName = z
  .string({ error: "expected a tool name" })
  .min(1, { error: "expected a tool name" })
  .max(128, { error: "at most 128 characters" })
  .regex(NO_CONTROL, { error: "must not contain control characters" });
const toolList = z
  .array(toolName, { error: "expected a list of tool names" })
  .max(500, { error: "at most 500 tools" })
  .transform((tools) => [...new Set(tools)]);
const id = z
  .string({ error: "expected an id" })
  .min(1, { error: "expected an id" })
  .max(100, { error: "at most 100 characters" });

/** A grant of a server to exactly one of a user or a group; no `allowed_tools` (or null): every tool. */
export const createGrantSchema = z
  .strictObject({
    user_id: id.optional(),
    group_id: id.optional(),
    allowed_tools: toolList.nullable().optional(),
    denied_tools: toolList.optional(),
  })
  .refine((grant) => (grant.user_id === undefined) !== (grant.group_id === undefined), {
    error: "expected exactly one of user_id and group_id",
  });
