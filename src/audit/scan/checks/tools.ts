import { excerpt } from "../probe.ts";
import {
  COMMAND_PROPERTY,
  COMMON_TOOL_NAMES,
  DESTRUCTIVE_WORDS,
  PATH_PROPERTY,
  TOOL_TEXT_RULES,
} from "../rules.ts";
import type { Finding, ListedTool } from "../types.ts";

export interface ToolCheckOptions {
  /** AUDIT_DESCRIPTION_MAX_CHARS. */
  descriptionMaxChars: number;
  /** Tool names other servers already offer (a registered server's neighbours), for shadowing. */
  otherToolNames?: ReadonlySet<string>;
  /** How the tools were fetched, for the evidence (e.g. "POST https://… tools/list"). */
  source: string;
}

/** Tool definitions: hidden instructions, invisible characters, names, length, annotations, schemas. */
export function toolDefinitionFindings(tools: readonly ListedTool[], options: ToolCheckOptions): Finding[] {
  return tools.flatMap((tool) => toolFindings(tool, options));
}

export function toolFindings(tool: ListedTool, options: ToolCheckOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (
    id: string,
    severity: Finding["severity"],
    title: string,
    shown: string,
    remediation: string,
  ) =>
    findings.push({
      id,
      severity,
      title,
      subject: visible(tool.name),
      evidence: { request: options.source, response: shown },
      remediation,
    });
  const texts = textsOf(tool);
  for (const rule of TOOL_TEXT_RULES) {
    if (rule.target === "name") {
      if (rule.pattern.test(tool.name))
        add(rule.id, rule.severity, rule.title, `name: ${visible(tool.name)}`, rule.remediation);
      continue;
    }
    for (const { where, text } of texts) {
      const match = rule.pattern.exec(text);
      if (!match) continue;
      const around = text.slice(Math.max(0, match.index - 60), match.index + 140);
      add(
        rule.id,
        rule.severity,
        rule.title,
        `${where}: …${excerpt(visible(around), 240)}…`,
        rule.remediation,
      );
      break;
    }
  }
  const description = tool.description ?? "";
  if (description.length > options.descriptionMaxChars) {
    add(
      "TOOL-LEN-001",
      "medium",
      "Very long tool description",
      `description: ${description.length} characters (more than ${options.descriptionMaxChars})`,
      "Keep descriptions short; review long ones whole for instructions to the model.",
    );
  }
  const lower = tool.name.toLowerCase();
  if (COMMON_TOOL_NAMES.includes(lower) || options.otherToolNames?.has(tool.name)) {
    add(
      "TOOL-SHADOW-001",
      "medium",
      options.otherToolNames?.has(tool.name)
        ? "Tool name shadows another server's tool"
        : "Tool name shadows a common tool name",
      `name: ${tool.name}`,
      "Give the tool a name specific to this server, so calls meant for another tool do not reach it.",
    );
  }
  const annotations = tool.annotations ?? {};
  if (
    (DESTRUCTIVE_WORDS.test(tool.name) || DESTRUCTIVE_WORDS.test(description)) &&
    annotations.destructiveHint !== true &&
    annotations.readOnlyHint !== true
  ) {
    add(
      "TOOL-DESTR-001",
      "low",
      "Destructive tool without a `destructiveHint` annotation",
      `name: ${tool.name}; annotations: ${JSON.stringify(tool.annotations ?? null)}`,
      "Annotate tools that change or delete data with `destructiveHint: true`, so clients ask before calling them.",
    );
  }
  for (const [property, schema] of Object.entries(propertiesOf(tool.inputSchema))) {
    if (!isFreeString(schema)) continue;
    if (COMMAND_PROPERTY.test(property)) {
      add(
        "TOOL-SCHEMA-001",
        "high",
        "Input schema accepts an arbitrary command or code",
        `inputSchema.properties.${property}: ${excerpt(JSON.stringify(schema), 200)}`,
        "Offer specific operations with constrained parameters (enum, pattern) instead of a free command string.",
      );
    } else if (PATH_PROPERTY.test(property)) {
      add(
        "TOOL-SCHEMA-002",
        "medium",
        "Input schema accepts an arbitrary file path",
        `inputSchema.properties.${property}: ${excerpt(JSON.stringify(schema), 200)}`,
        "Confine paths to a root on the server and say so in the schema (pattern), or take identifiers instead of paths.",
      );
    }
  }
  return findings;
}

/** Every text of a tool the model reads: description, title, and each string in its schemas. */
function textsOf(tool: ListedTool): { where: string; text: string }[] {
  const texts: { where: string; text: string }[] = [];
  if (tool.description) texts.push({ where: "description", text: tool.description });
  if (tool.title) texts.push({ where: "title", text: tool.title });
  const walk = (value: unknown, where: string, depth: number) => {
    if (depth > 12) return;
    if (typeof value === "string") texts.push({ where, text: value });
    else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${where}[${i}]`, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        texts.push({ where: `${where} key`, text: key });
        walk(item, `${where}.${key}`, depth + 1);
      }
    }
  };
  walk(tool.inputSchema, "inputSchema", 0);
  walk(tool.outputSchema, "outputSchema", 0);
  return texts;
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  if (schema === null || typeof schema !== "object") return {};
  const properties = (schema as { properties?: unknown }).properties;
  return properties !== null && typeof properties === "object" ? (properties as Record<string, unknown>) : {};
}

/** A string property without an enum, const or pattern: anything goes. */
function isFreeString(schema: unknown): boolean {
  if (schema === null || typeof schema !== "object") return false;
  const s = schema as { type?: unknown; enum?: unknown; const?: unknown; pattern?: unknown };
  const isString = s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"));
  return isString && s.enum === undefined && s.const === undefined && s.pattern === undefined;
}

/** Shows invisible and control characters as `\u{…}` escapes, so the report shows what the model reads. */
export function visible(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is made visible
    /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u{E0000}-\u{E007F}]/gu,
    (ch) => `\\u{${(ch.codePointAt(0) as number).toString(16).toUpperCase()}}`,
  );
}
