import { Elysia } from "elysia";
import type { AppContext } from "../../context.ts";
import type { Gateway } from "../../gateway/module.ts";
import { createGrantSchema } from "../api/policy-schema.ts";
import { addServerGrant, removeServerGrant } from "../grant-input.ts";
import { adminFormPost, type RequestServer, recordPageChange } from "./guard.ts";
import { schemaErrors } from "./servers-form.ts";
import { serverDetailRenderer, serverNotFound } from "./servers-render.ts";

const NO_PARSE = { parse: "none" } as const;
/** Groups read at a time while looking a group up by its name. */
const GROUP_PAGE = 200;

type Call = { request: Request; params: { id: string; grantId?: string }; server: RequestServer };

/** Tool names typed one a line or separated by commas. */
function typedTools(text: string | undefined): string[] {
  return (text ?? "")
    .split(/[\n,]/)
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/** The tools ticked (fields `{prefix}:{tool}`) and typed (field `field`) in the grant form. */
function chosenTools(fields: Record<string, string>, prefix: string, field: string): string[] {
  const ticked = Object.keys(fields)
    .filter((name) => name.startsWith(`${prefix}:`) && fields[name] === "on")
    .map((name) => name.slice(prefix.length + 1));
  return [...ticked, ...typedTools(fields[field])];
}

/** The grant form's values to show again after a refusal. */
function grantValues(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([name]) =>
        ["principal_type", "principal", "allowed_tools", "denied_tools"].includes(name) ||
        name.startsWith("allow_tool:") ||
        name.startsWith("deny_tool:"),
    ),
  );
}

/**
 * A server's grants from its page: add one to a user (by username or email) or a group (by
 * name), with the tools it is limited to and those it never gets, or delete one. The same schema
 * and rules as the JSON API's grants (src/admin/grant-input.ts): 404 for an unknown user or
 * group, 409 when the user or group already has a grant on the server.
 */
export function adminServerGrantPages(ctx: AppContext, gateway: Gateway) {
  const adminPost = adminFormPost(ctx);
  const { registry, groups } = gateway;
  const detailPage = serverDetailRenderer(ctx, gateway);

  /** The id of the user or group the form names, or undefined when none has that name. */
  const principalId = (type: "user" | "group", name: string): string | undefined => {
    if (type === "user") return ctx.users.byUsername(name)?.id;
    // Group names are unique regardless of case; the search matches parts of names, so page on.
    const wanted = name.toLowerCase();
    for (let offset = 0; ; offset += GROUP_PAGE) {
      const { rows } = groups.page(name, GROUP_PAGE, offset);
      const found = rows.find((group) => group.name.toLowerCase() === wanted);
      if (found || rows.length < GROUP_PAGE) return found?.id;
    }
  };

  return new Elysia({ name: "admin-pages-servers-grants" })
    .post(
      "/admin/servers/:id/grants",
      async ({ request, params, server: bunServer }: Call) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const server = registry.byId(params.id);
        if (!server) return serverNotFound();
        const values = grantValues(fields);
        const refuse = (status: number, field: string, message: string) =>
          detailPage(admin, server, status, { grantForm: { values, errors: { [field]: [message] } } });
        const type = fields.principal_type === "group" ? "group" : "user";
        const name = (fields.principal ?? "").trim();
        if (name === "")
          return refuse(400, "principal", `expected a ${type === "user" ? "username" : "group name"}`);
        const id = principalId(type, name);
        if (id === undefined) return refuse(404, "principal", `no such ${type}`);
        const allowed = chosenTools(fields, "allow_tool", "allowed_tools");
        const parsed = createGrantSchema.safeParse({
          [type === "user" ? "user_id" : "group_id"]: id,
          allowed_tools: allowed.length > 0 ? allowed : null,
          denied_tools: chosenTools(fields, "deny_tool", "denied_tools"),
        });
        if (!parsed.success) {
          return detailPage(admin, server, 400, {
            grantForm: { values, errors: schemaErrors(parsed.error) },
          });
        }
        const added = addServerGrant(ctx, gateway, server.id, parsed.data);
        if (!added.ok) return refuse(added.status, added.field ? "principal" : "form", added.message);
        ctx.logger.info(
          { serverId: server.id, grantId: added.grant.id, by: admin.identity.principal.id },
          "server granted",
        );
        await recordPageChange(
          ctx,
          admin,
          { request, server: bunServer, params, fields },
          undefined,
          added.grant,
        );
        return detailPage(admin, server, 201, { notice: `Granted to the ${type} ${name}.` });
      },
      NO_PARSE,
    )
    .post(
      "/admin/servers/:id/grants/:grantId/delete",
      async ({ request, params, server: bunServer }: Call) => {
        const post = await adminPost(request);
        if (post instanceof Response) return post;
        const { admin, fields } = post;
        const server = registry.byId(params.id);
        if (!server) return serverNotFound();
        const grant = removeServerGrant(gateway, server.id, params.grantId ?? "");
        if (!grant) {
          const errors = { form: ["No such grant on this server (deleted?)."] };
          return detailPage(admin, server, 404, { grantForm: { values: {}, errors } });
        }
        ctx.logger.info(
          { serverId: server.id, grantId: grant.id, by: admin.identity.principal.id },
          "server grant revoked",
        );
        await recordPageChange(ctx, admin, { request, server: bunServer, params, fields }, grant, undefined);
        return detailPage(admin, server, 200, { notice: "Grant deleted." });
      },
      NO_PARSE,
    );
}
