import { z } from "zod";
import { networkProblem } from "./network-policy.ts";

/**
 * A network allow-list as the admin API and the config file take it: CIDR networks or bare
 * addresses, IPv4 or IPv6. No cap on the count besides the body size (MAX_BODY_BYTES): each
 * entry costs a comparison only when a (user, server) pair's address changes.
 */
export const networkListSchema = z
  .array(
    z.string({ error: "expected a network in CIDR form" }).superRefine((entry, ctx) => {
      const problem = networkProblem(entry);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    { error: "expected a list of networks in CIDR form" },
  )
  .transform((entries) => [...new Set(entries.map((entry) => entry.trim()))]);
