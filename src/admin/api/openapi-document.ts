import type { DocumentDecoration, InternalRoute } from "elysia";
import { z } from "zod";
import { type RouteSchemas, routeSchemas } from "./openapi-schemas.ts";

const ADMIN_API_PREFIX = "/admin/api";

/** The HTTP methods an OpenAPI path item can hold (in the order the document lists them). */
const OPENAPI_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, Operation>>;
} & Record<string, unknown>;

/** `/admin/api/users/:id` → `/admin/api/users/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The routes the document describes: every route under /admin/api with an OpenAPI method. */
function adminApiRoutes(routes: readonly InternalRoute[]): InternalRoute[] {
  return routes.filter(
    (route) =>
      (route.path === ADMIN_API_PREFIX || route.path.startsWith(`${ADMIN_API_PREFIX}/`)) &&
      (OPENAPI_METHODS as readonly string[]).includes(route.method.toLowerCase()),
  );
}

/** The input side of a zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  // Refinements and transforms cannot be shown; "any" keeps the rest of the schema instead of failing.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
}

const errorResponse = (name: string) => ({ $ref: `#/components/responses/${name}` });

function parameters(path: string, schemas: RouteSchemas, declared: unknown[] | undefined): unknown[] {
  const inPath = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
    name: match[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const query = schemas.query ? jsonSchema(schemas.query) : undefined;
  const properties = (query?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query?.required ?? []) as string[]);
  const inQuery = Object.entries(properties).map(([name, schema]) => ({
    name,
    in: "query",
    required: required.has(name),
    ...(typeof schema.description === "string" ? { description: schema.description } : {}),
    schema,
  }));
  // A parameter the route's `detail` declares replaces the generated one of that name and place.
  const own = (declared ?? []) as { name?: string; in?: string }[];
  const generated = [...inPath, ...inQuery].filter(
    (p) => !own.some((o) => o.name === p.name && o.in === p.in),
  );
  return [...generated, ...own];
}

/** `PATCH /admin/api/users/{id}` → `patchUsersId`. */
function operationId(method: string, path: string): string {
  const words = path
    .slice(ADMIN_API_PREFIX.length)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return method.toLowerCase() + words.join("");
}

function operation(route: InternalRoute): Operation {
  const { hide: _hide, ...detail } = (route.hooks?.detail ?? {}) as DocumentDecoration;
  const schemas = routeSchemas(route.handler);
  const path = openApiPath(route.path);
  const hasParams = path.includes("{");
  const hasInput = schemas.body !== undefined || schemas.query !== undefined;
  const declaredResponses = (detail.responses ?? {}) as Record<string, unknown>;
  const declaresSuccess = Object.keys(declaredResponses).some((code) => /^2/.test(code));
  const method = route.method.toUpperCase();
  return {
    ...detail,
    operationId: detail.operationId ?? operationId(route.method, path),
    summary: detail.summary ?? `${method} ${path}`,
    tags: detail.tags ?? [path.slice(ADMIN_API_PREFIX.length + 1).split("/")[0] || "admin"],
    parameters: parameters(route.path, schemas, detail.parameters),
    ...(schemas.body !== undefined && detail.requestBody === undefined
      ? {
          requestBody: {
            required: schemas.bodyOptional !== true,
            content: { "application/json": { schema: jsonSchema(schemas.body) } },
          },
        }
      : {}),
    responses: {
      ...(declaresSuccess ? {} : { "2XX": { description: "Done" } }),
      ...(hasInput || hasParams || method !== "GET" ? { "400": errorResponse("BadRequest") } : {}),
      "401": errorResponse("Unauthorized"),
      "403": errorResponse("Forbidden"),
      ...(hasParams ? { "404": errorResponse("NotFound") } : {}),
      ...(schemas.body !== undefined ? { "413": errorResponse("TooLarge") } : {}),
      ...(schemas.body !== undefined && schemas.bodyOptional !== true
        ? { "415": errorResponse("UnsupportedMediaType") }
        : {}),
      ...declaredResponses,
    },
  };
}

function errorResponses() {
  const error = (description: string, extra: Record<string, unknown> = {}) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    ...extra,
  });
  return {
    BadRequest: error("The input is invalid; error_description names the field."),
    Unauthorized: error("No bearer token or admin session, or an invalid one.", {
      headers: { "WWW-Authenticate": { schema: { type: "string" } } },
    }),
    Forbidden: error(
      "The caller is not an administrator (forbidden), or a session's CSRF token or Origin is missing or wrong (csrf_failed).",
    ),
    NotFound: error("No such item."),
    TooLarge: error("The body is larger than MAX_BODY_BYTES."),
    UnsupportedMediaType: error("The body is not Content-Type: application/json."),
  };
}

interface DocumentInfo {
  version: string;
  publicUrl: string;
  sessionCookie: string;
}

/**
 * The OpenAPI 3.1 document of the admin JSON API, made from the app's routes: each route's path,
 * method and `detail` (summary, tags), and the zod schemas its handler checks its body and query
 * with (see openapi-schemas.ts). Nothing here lists routes.
 */
export function buildOpenApiDocument(routes: readonly InternalRoute[], info: DocumentInfo): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  const tags = new Set<string>();
  const ordered = [...adminApiRoutes(routes)].sort(
    (a, b) =>
      a.path.localeCompare(b.path) ||
      OPENAPI_METHODS.indexOf(a.method.toLowerCase() as (typeof OPENAPI_METHODS)[number]) -
        OPENAPI_METHODS.indexOf(b.method.toLowerCase() as (typeof OPENAPI_METHODS)[number]),
  );
  for (const route of ordered) {
    const item = operation(route);
    for (const tag of item.tags as string[]) tags.add(tag);
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: item };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "AuthMCP Gateway admin API",
      version: info.version,
      description:
        "Every administrator action of the gateway. Authorise with an administrator's access token for the gateway itself (audience = the public URL), or from the admin pages with the session cookie; a session's request other than GET also needs the page's CSRF token in X-CSRF-Token and a same-origin Origin. Errors are JSON {error, error_description}.",
    },
    servers: [{ url: info.publicUrl }],
    security: [{ bearerAuth: [] }, { adminSession: [] }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "An access token of an administrator whose audience is the gateway itself (resource = the public URL).",
        },
        adminSession: {
          type: "apiKey",
          in: "cookie",
          name: info.sessionCookie,
          description:
            "An administrator's browser session. A request other than GET, HEAD or OPTIONS also needs the session's CSRF token in the X-CSRF-Token header and a same-origin Origin header; otherwise 403 csrf_failed.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error", "error_description"],
          properties: {
            error: { type: "string", description: "An error code (OAuth style), e.g. invalid_request." },
            error_description: { type: "string", description: "What is wrong, for a person." },
          },
        },
      },
      responses: errorResponses(),
    },
  };
}
