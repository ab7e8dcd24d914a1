import { stat } from "node:fs/promises";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { AppContext } from "../context.ts";
import type { Gateway } from "../gateway/module.ts";
import type { RegistryResult, ServerInput } from "../gateway/registry.ts";
import type { BackendAddressGuard } from "../gateway/url-guard.ts";

/** One problem of a server's input, named by the field of the JSON API (`credential.token_url`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * What the zod schema of a server cannot see, checked before a create or an update by the JSON
 * API and the admin pages alike: the signing algorithm a `jwt` user context needs, where the
 * backend and token URLs lead (settings and DNS), and whether a stdio command can run.
 */
export async function serverInputProblem(
  ctx: AppContext,
  gateway: Gateway,
  input: Partial<ServerInput>,
): Promise<FieldProblem | undefined> {
  return (
    jwtProblem(ctx, input) ??
    (await addressProblem(gateway.addressGuard, input)) ??
    (await commandProblem(input))
  );
}

/** A registry refusal (name taken, config-managed, incoherent transport) as a field problem. */
export function registryProblem(result: Extract<RegistryResult, { ok: false }>): FieldProblem {
  return { field: result.field ?? "", message: result.message };
}

function jwtProblem(ctx: AppContext, input: Partial<ServerInput>): FieldProblem | undefined {
  return input.userContext === "jwt" && ctx.keys.signingKey().alg === "HS256"
    ? {
        field: "user_context",
        message: "a signed assertion needs JWT_ALGORITHM ES256 or RS256 (HS256 has no public key)",
      }
    : undefined;
}

/** Where the backend and token URLs lead, resolved now. */
async function addressProblem(
  guard: BackendAddressGuard,
  input: Partial<ServerInput>,
): Promise<FieldProblem | undefined> {
  const targets: [string, string | undefined][] = [
    ["url", input.url],
    [
      "credential.token_url",
      input.credential?.kind === "client_credentials" ? input.credential.tokenUrl : undefined,
    ],
  ];
  for (const [field, url] of targets) {
    const problem = url === undefined ? undefined : await guard.problemOnSave(url);
    if (problem) return { field, message: problem };
  }
  return undefined;
}

/**
 * A command that cannot run: not found on the PATH the process gets (or not an executable file),
 * or a working directory that is not a directory. Checked on save so a typo shows at once.
 */
async function commandProblem(input: Partial<ServerInput>): Promise<FieldProblem | undefined> {
  const stdio = input.stdio;
  if (!stdio) return undefined;
  if (stdio.cwd !== undefined) {
    const info = await stat(stdio.cwd).catch(() => undefined);
    if (!info?.isDirectory()) return { field: "cwd", message: "not a directory" };
  }
  const path = stdio.env?.PATH ?? getDefaultEnvironment().PATH ?? "";
  if (Bun.which(stdio.command, { PATH: path, cwd: stdio.cwd }) === null) {
    return { field: "command", message: "not found or not executable" };
  }
  return undefined;
}
