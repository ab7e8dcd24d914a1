import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { Elysia } from "elysia";
import { z } from "zod";
import { adminHandler, adminJsonHandler } from "../../src/admin/guard.ts";
import { json } from "../../src/http/errors.ts";
import { createUser, login, type TestGateway, testGateway } from "../support/context.ts";
import { browserUser } from "../support/oauth-helpers.ts";

type Schema = Record<string, unknown>;
type Parameter = { name: string; in: string; required?: boolean; schema: Schema };
type Operation = {
  operationId: string;
  summary: string;
  tags: string[];
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, Schema>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  security: Record<string, string[]>[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, Schema>;
    schemas: Record<string, Schema>;
    responses: Record<string, Schema>;
  };
};

const DOC = "/admin/api/openapi.json";
const OPERATION_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

let gateway: TestGateway;
let adminToken: string;
let userToken: string;
let doc: Document;

beforeAll(async () => {
  gateway = await testGateway();
  await createUser(gateway, "root", { isAdmin: true });
  await createUser(gateway, "alice");
  adminToken = (await login(gateway, "root")).access_token;
  userToken = (await login(gateway, "alice")).access_token;
  const response = await gateway.request(DOC, { headers: { authorization: `Bearer ${adminToken}` } });
  // Checked by the tests (each fails on its own when there is no document).
  doc = (response.ok ? await response.json() : { paths: {} }) as Document;
});
afterAll(async () => {
  await gateway.close();
});

/** Elysia's `/a/:id` as OpenAPI's `/a/{id}`; written here, apart from the generator. */
const templated = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The app's own admin API routes, read from the app (not from the generator). */
function appAdminRoutes(app: { routes: { method: string; path: string }[] }) {
  return app.routes.filter((route) => route.path.startsWith("/admin/api/"));
}

/** "METHOD path" of every route the document lacks. */
function missingFrom(document: Document, routes: { method: string; path: string }[]): string[] {
  return routes
    .filter((route) => document.paths[templated(route.path)]?.[route.method.toLowerCase()] === undefined)
    .map((route) => `${route.method} ${route.path}`);
}

/** A JSON pointer `#/a/b` resolved from the document's root. */
function resolve(document: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) allRefs(item, found);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

/** A strict draft 2020-12 validator (the JSON Schema dialect of OpenAPI 3.1): unknown keywords fail. */
const ajv = () => new Ajv2020({ strict: true, allErrors: true, validateFormats: false });

describe("GET /admin/api/openapi.json: who may read it", () => {
  test("no token → 401 with WWW-Authenticate; a non-admin → 403; both bodies in the documented error shape", async () => {
    const anonymous = await gateway.request(DOC);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toStartWith("Bearer");
    const user = await gateway.request(DOC, { headers: { authorization: `Bearer ${userToken}` } });
    expect(user.status).toBe(403);
    const errorShape = ajv().compile(doc.components.schemas.Error as Schema);
    const bodies = [await anonymous.json(), await user.json()];
    for (const body of bodies) expect(errorShape(body)).toBe(true);
    expect(bodies.map((b) => (b as { error: string }).error)).toEqual(["invalid_token", "forbidden"]);
  });

  test("an admin's bearer token or an admin's browser session (a GET needs no CSRF token) → 200 JSON", async () => {
    const bearer = await gateway.request(DOC, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get("content-type")).toStartWith("application/json");
    const session = await browserUser(gateway, "root");
    const viaSession = await gateway.request(DOC, { headers: { cookie: session.cookie } });
    expect(viaSession.status).toBe(200);
    expect(await viaSession.json()).toEqual(doc);
  });
});

describe("the document", () => {
  test("is OpenAPI 3.1: version, info, servers, security schemes, paths of operations", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeString();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.adminSession).toMatchObject({
      type: "apiKey",
      in: "cookie",
      name: "authmcp_session",
    });
    expect(doc.components.securitySchemes.adminSession?.description).toContain("X-CSRF-Token");
    expect(doc.security).toEqual([{ bearerAuth: [] }, { adminSession: [] }]);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toStartWith("/admin/api/");
      expect(path).not.toContain(":");
      for (const method of Object.keys(item)) expect(OPERATION_METHODS).toContain(method);
    }
  });

  test("every /admin/api route of the app is in it, and nothing else", () => {
    const routes = appAdminRoutes(gateway.app);
    expect(routes.length).toBeGreaterThan(60);
    for (const route of routes) expect(OPERATION_METHODS).toContain(route.method.toLowerCase());
    expect(missingFrom(doc, routes)).toEqual([]);
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${templated(r.path)}`).sort());
    // The check itself notices a missing operation.
    const lacking = structuredClone(doc);
    delete lacking.paths["/admin/api/users/{id}"]?.patch;
    expect(missingFrom(lacking, routes)).toEqual(["PATCH /admin/api/users/:id"]);
  });

  test("operations: unique ids, summaries, known tags, path parameters exactly the {…} segments, error responses", () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [path, item] of Object.entries(doc.paths)) {
      const segments = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        expect(ids.has(op.operationId), where).toBe(false);
        ids.add(op.operationId);
        expect(op.summary.length, where).toBeGreaterThan(0);
        expect(op.tags.length, where).toBeGreaterThan(0);
        for (const tag of op.tags) expect(tags.has(tag), `${where} tag ${tag}`).toBe(true);
        const inPath = op.parameters.filter((p) => p.in === "path");
        expect(inPath.map((p) => p.name).sort(), where).toEqual(segments.sort());
        for (const p of op.parameters) {
          expect(["path", "query", "header", "cookie"]).toContain(p.in);
          if (p.in === "path") expect(p.required, where).toBe(true);
          expect(typeof p.schema, where).toBe("object");
        }
        const keys = op.parameters.map((p) => `${p.in}:${p.name}`);
        expect(new Set(keys).size, where).toBe(keys.length);
        expect(
          Object.keys(op.responses).some((code) => /^2/.test(code)),
          where,
        ).toBe(true);
        expect(op.responses["401"], where).toEqual({ $ref: "#/components/responses/Unauthorized" });
        expect(op.responses["403"], where).toEqual({ $ref: "#/components/responses/Forbidden" });
        if (segments.length > 0)
          expect(op.responses["404"], where).toEqual({ $ref: "#/components/responses/NotFound" });
      }
    }
  });

  test("every $ref resolves, and every body and parameter schema compiles as strict JSON Schema 2020-12", () => {
    for (const ref of allRefs(doc)) {
      expect(ref).toStartWith("#/");
      expect(resolve(doc, ref), ref).toBeDefined();
    }
    const validator = ajv();
    let bodies = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const p of op.parameters)
          expect(() => validator.compile(p.schema), `${method} ${path} ${p.name}`).not.toThrow();
        if (!op.requestBody) continue;
        bodies++;
        const schema = op.requestBody.content["application/json"]?.schema;
        // A schema is a JSON object (`{}` for a body the handler checks in code: any JSON).
        expect(
          schema !== null && typeof schema === "object" && !Array.isArray(schema),
          `${method} ${path}`,
        ).toBe(true);
        expect(() => validator.compile(schema as Schema), `${method} ${path}`).not.toThrow();
      }
    }
    expect(bodies).toBeGreaterThan(15);
  });
});

describe("schemas come from the routes' own zod schemas", () => {
  test("POST /admin/api/users: the body requires username, email and password, and takes nothing else", () => {
    const op = doc.paths["/admin/api/users"]?.post;
    expect(op?.summary).toBe("Create a user");
    expect(op?.requestBody?.required).toBe(true);
    const schema = op?.requestBody?.content["application/json"]?.schema as Schema;
    expect(schema.required).toEqual(["username", "email", "password"]);
    const valid = ajv().compile(schema);
    expect(valid({ username: "bob", email: "bob@example.com", password: "Correct-Horse-9" })).toBe(true);
    expect(valid({ email: "bob@example.com", password: "Correct-Horse-9" })).toBe(false);
    expect(valid({ username: "bob", email: "bob@example.com", password: "x", is_root: true })).toBe(false);
    expect(valid({ username: "-bob", email: "bob@example.com", password: "x" })).toBe(false);
  });

  test("a PATCH body has its fields, a list its ?q=&limit=&offset=, a filtered list its filters", () => {
    const patch = doc.paths["/admin/api/users/{id}"]?.patch;
    const patchSchema = patch?.requestBody?.content["application/json"]?.schema as Schema;
    expect(Object.keys(patchSchema.properties as Schema).sort()).toEqual([
      "is_active",
      "is_admin",
      "password",
    ]);
    const list = doc.paths["/admin/api/users"]?.get;
    expect(list?.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ["q", "query", false],
      ["limit", "query", false],
      ["offset", "query", false],
    ]);
    const logs = doc.paths["/admin/api/security-logs"]?.get;
    const names = logs?.parameters.map((p) => p.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining(["type", "min_severity", "user", "ip", "from", "to", "limit"]),
    );
    const minSeverity = logs?.parameters.find((p) => p.name === "min_severity")?.schema;
    expect(minSeverity?.enum).toContain("critical");
    const activity = doc.paths["/admin/api/mcp-activity"]?.get;
    expect(activity?.parameters.find((p) => p.name === "outcome")?.schema.enum).toContain("denied");
  });

  test("a body that may be left out is marked optional; a route without a body has none", () => {
    const approve = doc.paths["/admin/api/mcp-servers/{id}/approve-tools"]?.post;
    expect(approve?.requestBody?.required).toBe(false);
    expect(doc.paths["/admin/api/users/{id}"]?.delete?.requestBody).toBeUndefined();
    const rateLimit = doc.paths["/admin/api/groups/{id}/rate-limit"]?.put;
    const schema = rateLimit?.requestBody?.content["application/json"]?.schema as Schema;
    expect(schema.required).toEqual(["max", "window_seconds"]);
  });
});

describe("routes added later are described without being listed anywhere", () => {
  test("a new admin route after the document's plugin appears with its body schema, or a METHOD-path summary", async () => {
    const extra = await testGateway();
    try {
      await createUser(extra, "root", { isAdmin: true });
      const token = (await login(extra, "root")).access_token;
      const { ctx, app } = extra;
      app.use(
        new Elysia()
          .get(
            "/admin/api/zz-probe",
            adminHandler(ctx, () => json({})),
          )
          .post(
            "/admin/api/zz-probe/:itemId",
            adminJsonHandler(ctx, z.strictObject({ colour: z.enum(["red", "blue"]) }), () => json({})),
            { parse: "none", detail: { summary: "Paint an item", tags: ["probe"] } },
          ),
      );
      const response = await extra.request(DOC, { headers: { authorization: `Bearer ${token}` } });
      const document = (await response.json()) as Document;
      expect(missingFrom(document, appAdminRoutes(app))).toEqual([]);
      expect(document.paths["/admin/api/zz-probe"]?.get?.summary).toBe("GET /admin/api/zz-probe");
      const post = document.paths["/admin/api/zz-probe/{itemId}"]?.post;
      expect(post?.summary).toBe("Paint an item");
      expect(post?.tags).toEqual(["probe"]);
      expect(post?.parameters).toEqual([
        { name: "itemId", in: "path", required: true, schema: { type: "string" } },
      ]);
      expect(post?.requestBody?.content["application/json"]?.schema).toMatchObject({
        type: "object",
        properties: { colour: { type: "string", enum: ["red", "blue"] } },
        required: ["colour"],
      });
    } finally {
      await extra.close();
    }
  });
});
