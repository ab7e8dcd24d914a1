import type { HourOfActivity } from "../../src/admin/pages/activity-hourly.ts";

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;

/** The smallest 1, 2 or 5 × 10ⁿ at or above `n` (at least 1): the chart's top gridline. */
function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

const hourLabel = (start: number) => new Date(start).toISOString().slice(11, 16);

/**
 * Requests per hour over the last 24 h as an SVG drawn on the server (no chart library, no
 * script): one stacked bar per hour, answered (ok) at the bottom, refused (denied, rate-limited)
 * above, errors on top; each hour's numbers in its `<title>` (a tooltip) and data attributes.
 * Colours come from the stylesheet's classes, so dark mode applies.
 */
export function ActivityChart({ hours }: { hours: HourOfActivity[] }) {
  const top = niceCeiling(Math.max(0, ...hours.map((h) => h.requests)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, hours.length);
  const barWidth = Math.max(2, slot * 0.72);
  const scale = (n: number) => (n / top) * plotHeight;
  const total = hours.reduce((sum, h) => sum + h.requests, 0);
  const errors = hours.reduce((sum, h) => sum + h.errors, 0);
  const refused = hours.reduce((sum, h) => sum + h.refused, 0);
  const summary = `${total} requests, ${errors} errors and ${refused} refused in the last 24 hours`;
  const baseline = TOP + plotHeight;
  return (
    <figure class="activity-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        <line
          class="chart-grid"
          x1={String(LEFT)}
          x2={String(WIDTH - RIGHT)}
          y1={String(TOP)}
          y2={String(TOP)}
        />
        <line
          class="chart-grid"
          x1={String(LEFT)}
          x2={String(WIDTH - RIGHT)}
          y1={String(TOP + plotHeight / 2)}
          y2={String(TOP + plotHeight / 2)}
        />
        <line
          class="chart-axis"
          x1={String(LEFT)}
          x2={String(WIDTH - RIGHT)}
          y1={String(baseline)}
          y2={String(baseline)}
        />
        <text class="chart-label" x={String(LEFT - 6)} y={String(TOP + 4)} text-anchor="end" safe>
          {String(top)}
        </text>
        <text
          class="chart-label"
          x={String(LEFT - 6)}
          y={String(TOP + plotHeight / 2 + 4)}
          text-anchor="end"
          safe
        >
          {String(top / 2)}
        </text>
        <text class="chart-label" x={String(LEFT - 6)} y={String(baseline + 4)} text-anchor="end">
          0
        </text>
        {hours.map((hour, i) => {
          const x = LEFT + i * slot + (slot - barWidth) / 2;
          const ok = hour.requests - hour.errors - hour.refused;
          const parts = [
            { cls: "bar-ok", n: ok },
            { cls: "bar-refused", n: hour.refused },
            { cls: "bar-error", n: hour.errors },
          ];
          let y = baseline;
          const label = `${hourLabel(hour.start)} UTC: ${hour.requests} requests, ${hour.errors} errors, ${hour.refused} refused`;
          return (
            <g
              class="chart-hour"
              data-hour={new Date(hour.start).toISOString()}
              data-requests={String(hour.requests)}
              data-errors={String(hour.errors)}
              data-refused={String(hour.refused)}
            >
              <title safe>{label}</title>
              {parts
                .filter((part) => part.n > 0)
                .map((part) => {
                  const height = scale(part.n);
                  y -= height;
                  return (
                    <rect
                      class={`bar ${part.cls}`}
                      x={x.toFixed(1)}
                      y={y.toFixed(1)}
                      width={barWidth.toFixed(1)}
                      height={height.toFixed(1)}
                    />
                  );
                })}
              {i % 3 === 0 ? (
                <text
                  class="chart-label"
                  x={(x + barWidth / 2).toFixed(1)}
                  y={String(HEIGHT - 8)}
                  text-anchor="middle"
                  safe
                >
                  {hourLabel(hour.start)}
                </text>
              ) : (
                ""
              )}
            </g>
          );
        })}
      </svg>
      <figcaption class="hint">
        <span class="legend legend-ok">answered</span> <span class="legend legend-refused">refused</span>{" "}
        <span class="legend legend-error">errors</span> · <span safe>{summary}</span> (hours in UTC).
      </figcaption>
    </figure>
  );
}
