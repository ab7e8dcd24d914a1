// The API test page's form from a tool's input schema (anything a backend may send) and the
// reading of the posted form back into arguments.
import { describe, expect, test } from "bun:test";
import { initialValues, readArguments, toolForm } from "../../src/admin/pages/api-test-schema.ts";

describe("toolForm", () => {
  test("kinds: a nullable string is a string, a non-string enum and unions are JSON, nesting is one field", () => {
    const form = toolForm(
      {
        type: "object",
        properties: {
          maybe: { type: ["string", "null"] },
          level: { enum: [1, 2, 3] },
          either: { anyOf: [{ type: "string" }, { type: "number" }] },
          deep: {
            type: "object",
            properties: { a: { type: "object", properties: { b: { type: "string" } } } },
          },
          odd: "not a schema",
        },
        required: ["deep", 42],
      },
      10,
    );
    if (form.mode !== "fields") throw new Error("expected fields");
    expect(form.fields.map((field) => [field.name, field.kind, field.required])).toEqual([
      ["maybe", "string", false],
      ["level", "json", false],
      ["either", "json", false],
      ["deep", "json", true],
      ["odd", "json", false],
    ]);
  });

  test("a schema without properties, or not an object at all: one JSON text area", () => {
    for (const schema of [undefined, null, "x", [], { type: "object" }, { properties: [] }]) {
      expect(toolForm(schema, 10).mode).toBe("json");
    }
    expect(toolForm({ type: "object", properties: {} }, 10)).toEqual({ mode: "fields", fields: [] });
  });

  test("defaults fill the first form; a boolean default true checks its box", () => {
    const form = toolForm(
      {
        properties: {
          name: { type: "string", default: "x" },
          on: { type: "boolean", default: true },
          off: { type: "boolean", default: false },
          list: { type: "array", default: [1] },
        },
      },
      10,
    );
    expect(initialValues(form)).toEqual({ "arg.name": "x", "arg.on": "on", "arg.list": "[\n  1\n]" });
  });
});

describe("readArguments", () => {
  // Parsed from JSON, as a backend's schema arrives: `__proto__` is then a property of its own.
  const form = toolForm(
    JSON.parse(`{
      "properties": {
        "__proto__": { "type": "string" },
        "flag": { "type": "boolean" },
        "must": { "type": "boolean" },
        "n": { "type": "number" },
        "pick": { "type": "string", "enum": ["a", "b"] },
        "blank": { "type": "string" },
        "needed": { "type": "string" }
      },
      "required": ["must", "needed"]
    }`),
    10,
  );

  test("an argument named __proto__ is an argument, not the object's prototype", () => {
    const read = readArguments(form, { "arg.__proto__": "x", "arg.needed": "" });
    if (!read.ok) throw new Error("expected arguments");
    expect(Object.hasOwn(read.arguments, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(read.arguments)).toBe(Object.prototype);
    expect(JSON.stringify(read.arguments)).toBe('{"__proto__":"x","must":false,"needed":""}');
  });

  test("empty optional values are left out; a required string may be empty; unchecked required boolean is false", () => {
    const read = readArguments(form, { "arg.n": " 1e3 ", "arg.pick": "", "arg.blank": "", "arg.needed": "" });
    expect(read).toEqual({ ok: true, arguments: { must: false, n: 1000, needed: "" } });
  });

  test("a value outside the enum, and numbers JavaScript would take but JSON Schema would not", () => {
    const read = readArguments(form, { "arg.pick": "c", "arg.n": "0x10", "arg.needed": "" });
    expect(read).toEqual({
      ok: false,
      errors: { "arg.pick": "Choose one of the listed values.", "arg.n": "Not a number." },
    });
    expect(readArguments(form, { "arg.n": "Infinity" })).toMatchObject({ ok: false });
  });
});
