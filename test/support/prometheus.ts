// A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on anything
// a Prometheus server would reject (bad names, escapes, values, duplicate series, a TYPE after its
// samples, interleaved families) and checks histogram invariants.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function fail(line: number, message: string): never {
  throw new Error(`line ${line}: ${message}`);
}

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(line, `bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Reads `{a="x",b="y"}` starting at `at` (the `{`); returns the labels and the index after `}`. */
function parseLabels(text: string, at: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (text[i] !== "}") {
    const eq = text.indexOf("=", i);
    if (eq < 0) fail(line, "label without =");
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(line, `bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) fail(line, `label ${name} repeated`);
    if (text[eq + 1] !== '"') fail(line, "label value not quoted");
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) fail(line, "unterminated label value");
      if (c === '"') break;
      if (c === "\\") {
        const next = text[j + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else fail(line, `bad escape \\${next}`);
        j += 2;
      } else {
        if (c === "\n") fail(line, "raw newline in a label value");
        value += c;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") fail(line, "expected , or } after a label");
  }
  return [labels, i + 1];
}

function unescapeHelp(text: string, line: number): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === "\\") out += "\\";
    else if (next === "n") out += "\n";
    else fail(line, "bad escape in HELP");
  }
  return out;
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sample.endsWith(suffix)) {
      const base = families.get(sample.slice(0, -suffix.length));
      if (base && (base.type === "histogram" || base.type === "summary")) return base;
    }
  }
  return families.get(sample);
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const finished = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === "") fail(line, "empty line");
    if (raw.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!match) return; // a plain comment
      const [, keyword, name, rest] = match as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) fail(line, `bad metric name ${name}`);
      let family = families.get(name);
      if (family && finished.has(name)) fail(line, `${keyword} for ${name} after its samples`);
      if (!family) {
        family = { name, type: "untyped", help: undefined, samples: [] };
        families.set(name, family);
      }
      if (current && current !== family) finished.add(current.name);
      current = family;
      if (keyword === "TYPE") {
        if (!TYPES.has(rest)) fail(line, `bad type ${rest}`);
        if (family.samples.length > 0) fail(line, `TYPE of ${name} after its samples`);
        family.type = rest as Family["type"];
      } else {
        if (family.help !== undefined) fail(line, `second HELP for ${name}`);
        family.help = unescapeHelp(rest, line);
      }
      return;
    }
    const nameEnd = raw.search(/[{ ]/);
    if (nameEnd <= 0) fail(line, "sample without a value");
    const name = raw.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(line, `bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (raw[nameEnd] === "{") [labels, rest] = parseLabels(raw, nameEnd, line);
    if (raw[rest] !== " ") fail(line, "expected a space before the value");
    const parts = raw.slice(rest + 1).split(" ");
    if (parts.length > 2) fail(line, "trailing text after the value");
    const value = parseValue(parts[0] as string, line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(line, "bad timestamp");
    let family = familyOf(name, families);
    if (!family) {
      family = { name, type: "untyped", help: undefined, samples: [] };
      families.set(name, family);
    }
    if (finished.has(family.name)) fail(line, `samples of ${family.name} are not together`);
    if (current && current !== family) finished.add(current.name);
    current = family;
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seenSeries.has(key)) fail(line, `series repeated: ${key}`);
    seenSeries.add(key);
    if (family.type === "counter" && !(value >= 0)) fail(line, "a counter below zero");
    if (family.type === "histogram" && name === family.name)
      fail(line, "a histogram sample without a suffix");
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    if (!count || !sum) throw new Error(`${family.name}${key}: _count or _sum missing`);
    let previous = -1;
    let previousValue = 0;
    for (const bucket of buckets) {
      const le = bucket.labels.le;
      if (le === undefined) throw new Error(`${family.name}${key}: a bucket without le`);
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      if (!(bound > previous) || bucket.value < previousValue) {
        throw new Error(`${family.name}${key}: buckets not ascending and cumulative`);
      }
      previous = bound;
      previousValue = bucket.value;
    }
    if (previous !== Number.POSITIVE_INFINITY) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (previousValue !== count.value)
      throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of one series (labels must match exactly), or 0 when it is absent. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = familyOf(name, families);
  const want = JSON.stringify(Object.entries(labels).sort());
  const sample = family?.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  return sample?.value ?? 0;
}
