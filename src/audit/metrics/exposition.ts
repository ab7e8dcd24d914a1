/**
 * A small Prometheus text exposition (format 0.0.4): counters, callback gauges and histograms with
 * labels. Why not prom-client: it pulls in Node-only parts (cluster, perf_hooks GC observers) and
 * global registries; the gateway needs a few dozen series per scrape and one file of code.
 */

type LabelValues = readonly string[];

interface Family {
  render(out: string[]): void;
}

const KEY_SEPARATOR = "\u0000";

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(names: readonly string[], values: LabelValues, extra?: [string, string]): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function header(out: string[], name: string, help: string, type: string): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
}

export class Counter implements Family {
  private readonly series = new Map<string, { values: LabelValues; count: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  inc(values: LabelValues = [], by = 1): void {
    const key = values.join(KEY_SEPARATOR);
    const entry = this.series.get(key);
    if (entry) entry.count += by;
    else this.series.set(key, { values: [...values], count: by });
  }

  render(out: string[]): void {
    header(out, this.name, this.help, "counter");
    if (this.labelNames.length === 0 && this.series.size === 0) out.push(`${this.name} 0`);
    for (const { values, count } of this.series.values()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${numberText(count)}`);
    }
  }
}

/** A value read when scraped: a gauge, or a counter kept elsewhere. */
export class Gauge implements Family {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly read: () => Iterable<[LabelValues, number]>,
    private readonly type: "gauge" | "counter" = "gauge",
  ) {}

  render(out: string[]): void {
    header(out, this.name, this.help, this.type);
    for (const [values, value] of this.read()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${numberText(value)}`);
    }
  }
}

export class Histogram implements Family {
  private readonly series = new Map<
    string,
    { values: LabelValues; buckets: number[]; sum: number; count: number }
  >();

  /** `bounds`: the upper bounds of the buckets, ascending (+Inf is added). */
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(values: LabelValues, value: number): void {
    const key = values.join(KEY_SEPARATOR);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values: [...values], buckets: new Array(this.bounds.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    // Counts per bucket (not cumulative) here; cumulated when rendered.
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] as number)) {
        (entry.buckets[i] as number)++;
        break;
      }
    }
    entry.sum += value;
    entry.count++;
  }

  render(out: string[]): void {
    header(out, this.name, this.help, "histogram");
    for (const { values, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += buckets[i] as number;
        const le: [string, string] = ["le", numberText(this.bounds[i] as number)];
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, le)} ${cumulative}`);
      }
      out.push(`${this.name}_bucket${labelText(this.labelNames, values, ["le", "+Inf"])} ${count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${numberText(sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${count}`);
    }
  }
}

/** The families of one gateway, rendered in the order they were added. */
export class MetricsRegistry {
  private readonly families: Family[] = [];

  add<F extends Family>(family: F): F {
    this.families.push(family);
    return family;
  }

  render(): string {
    const out: string[] = [];
    for (const family of this.families) family.render(out);
    return `${out.join("\n")}\n`;
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
