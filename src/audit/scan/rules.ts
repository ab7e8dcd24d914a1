import type { FindingSeverity } from "./types.ts";

/**
 * The audit's pattern rules, as data: each has a stable id (what reports and CI allow-lists name),
 * a severity, what it looks at, the pattern, and what to do about a match. The checks in
 * ./checks/ apply them; adding a pattern is an edit here only.
 *
 * Targets: `text` is every text a tool shows the model (description, title, and every string in
 * its input and output schema: property descriptions, defaults, enums); `name` is the tool's name;
 * `error` is an error answer's body and headers (disclosure).
 */
export interface PatternRule {
  id: string;
  severity: FindingSeverity;
  target: "text" | "name" | "error";
  title: string;
  pattern: RegExp;
  remediation: string;
}

const REVIEW =
  "Do not approve this server until the text is explained; remove the tool or the instruction, and ask its maintainer why it is there.";

export const TOOL_TEXT_RULES: readonly PatternRule[] = [
  {
    id: "TOOL-INJ-001",
    severity: "critical",
    target: "text",
    title: "Instruction to the model to override its instructions",
    pattern:
      /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|system|other)\s+(instructions|prompts?|rules|directions)\b/i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-INJ-002",
    severity: "critical",
    target: "text",
    title: "Instruction to hide something from the user",
    pattern:
      /\b(do\s+not|don'?t|never)\s+(tell|inform|mention|reveal|show|notify|alert)\s+(this\s+|it\s+|anything\s+)?(to\s+)?the\s+user\b|\bwithout\s+(telling|informing|notifying)\s+the\s+user\b|\b(keep\s+(this|it)\s+secret)\b/i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-INJ-003",
    severity: "critical",
    target: "text",
    title: "Request to read credentials or private files",
    pattern:
      /~\/\.ssh|\bid_(rsa|ed25519|ecdsa)\b|\.aws\/credentials|\/etc\/(passwd|shadow)|\.netrc\b|\.git-credentials|\bmcp\.json\b|\.env\b|\.kube\/config|\bprivate[\s_-]key\b/i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-INJ-004",
    severity: "high",
    target: "text",
    title: "Instruction to send data to a URL",
    pattern:
      /\b(send|post|upload|forward|transmit|exfiltrate|leak)\b[^.\n]{0,80}\bto\s+(https?:\/\/|the\s+(url|endpoint|webhook|server)\b)|\bcurl\s+(-\w+\s+)*https?:\/\//i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-INJ-005",
    severity: "high",
    target: "text",
    title: "Markup that poses as system or priority instructions",
    pattern: /<\s*\/?\s*(important|system|instructions?|secret|hidden)\s*>|\[\s*(system|important)\s*\]/i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-INJ-006",
    severity: "high",
    target: "text",
    title: "Instruction about how other tools are used (shadowing)",
    pattern:
      /\b(instead\s+of|before|after|whenever|when)\s+(using|calling|invoking|running)\s+(the\s+|any\s+|other\s+)?[\w.-]+\s+tools?\b|\b(all|every|any)\s+other\s+tools?\b/i,
    remediation: REVIEW,
  },
  {
    id: "TOOL-CHAR-001",
    severity: "critical",
    target: "text",
    title: "Invisible Unicode tag characters (text the model reads and the user does not see)",
    pattern: /[\u{E0000}-\u{E007F}]/u,
    remediation: "Refuse the tool: tag characters have no use in a tool description except to hide text.",
  },
  {
    id: "TOOL-CHAR-002",
    severity: "high",
    target: "text",
    title: "Zero-width characters",
    pattern: /[\u200B-\u200D\u2060\u2061-\u2064\uFEFF\u180E]/u,
    remediation: "Remove zero-width characters; they hide or split words the user reviews.",
  },
  {
    id: "TOOL-CHAR-003",
    severity: "high",
    target: "text",
    title: "Bidirectional text controls (text shown in another order than the model reads it)",
    pattern: /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u,
    remediation: "Remove bidi controls from tool definitions.",
  },
  {
    id: "TOOL-CHAR-004",
    severity: "high",
    target: "text",
    title: "ANSI terminal escape sequences",
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this rule's purpose
    pattern: /\u001B[[\]()#;?0-9]|\u009B/u,
    remediation: "Remove terminal escapes: they hide or recolour text in terminals and logs.",
  },
  {
    id: "TOOL-NAME-001",
    severity: "high",
    target: "name",
    title: "Tool name with characters that look like others (homoglyphs) or are not plain ASCII",
    pattern: /[^\x21-\x7E]/u,
    remediation:
      "Tool names should be ASCII letters, digits, `_`, `-` and `.`; a look-alike name impersonates another tool.",
  },
];

/**
 * Names of tools that clients, popular MCP servers and models already know: a server that
 * offers one of them can capture calls meant for another server's tool.
 */
export const COMMON_TOOL_NAMES: readonly string[] = [
  "read_file",
  "write_file",
  "edit_file",
  "list_directory",
  "bash",
  "shell",
  "run_command",
  "execute_command",
  "exec",
  "terminal",
  "fetch",
  "web_search",
  "search",
  "send_email",
  "send_message",
  "create_issue",
  "git_commit",
  "git_push",
  "query",
  "sql",
];

/** Words in a tool's name or description that mark it as changing or deleting something. */
export const DESTRUCTIVE_WORDS =
  /\b(delete|remove|drop|destroy|wipe|erase|purge|truncate|overwrite|kill|terminate|rm|format|reset|revoke|uninstall)\b|^(delete|remove|drop|destroy|wipe|erase|purge|truncate|overwrite|kill|terminate|reset|revoke)[_-]/i;

/** Input-schema property names that take a command, code or a path. */
export const COMMAND_PROPERTY = /^(command|cmd|shell|script|code|exec|expression|program|query_sql|sql)$/i;
export const PATH_PROPERTY = /^(path|file|filename|file_path|filepath|dir|directory|folder|target_path)$/i;

/** Patterns that betray internals in error answers and headers. */
export const DISCLOSURE_RULES: readonly PatternRule[] = [
  {
    id: "DISCL-001",
    severity: "medium",
    target: "error",
    title: "Stack trace in an error answer",
    pattern:
      /\n\s+at\s+[\w.<>$[\] ]+\s\(?[^\s)]+:\d+:\d+\)?|Traceback \(most recent call last\)|Exception in thread "|\bat [\w.$]+\([\w]+\.java:\d+\)|goroutine \d+ \[running\]/,
    remediation:
      "Answer errors with a short message and log the details on the server; never return stack traces.",
  },
  {
    id: "DISCL-002",
    severity: "low",
    target: "error",
    title: "Server file path in an error answer",
    pattern:
      /(?:^|[\s"'(=])(\/(?:home|usr|var|opt|srv|app|root|etc|tmp|Users)\/[\w./-]+|[A-Za-z]:\\(?:[\w .-]+\\)+[\w .-]*)/,
    remediation: "Do not include file system paths in answers.",
  },
  {
    id: "DISCL-003",
    severity: "low",
    target: "error",
    title: "Internal network address in an answer",
    pattern:
      /\b(10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3})\b/,
    remediation: "Do not include internal addresses in answers or headers.",
  },
];

/** Headers that announce the server software and its version. */
export const VERSION_BANNER_HEADERS: readonly string[] = [
  "server",
  "x-powered-by",
  "x-aspnet-version",
  "x-runtime",
];
export const VERSION_NUMBER = /\d+\.\d+/;
