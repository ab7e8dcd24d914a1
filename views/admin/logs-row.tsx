import { fieldsJson, type LogLine } from "../../src/logs/ring.ts";

/** The columns of the log tables (the row below must match). */
export function LogHead() {
  return (
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Level</th>
        <th scope="col">Message</th>
        <th scope="col">Fields</th>
      </tr>
    </thead>
  );
}

/**
 * One application log line. Everything is escaped: log lines carry paths, names, tool names and
 * error messages that users, clients and backends chose.
 */
export function LogRow({ line }: { line: LogLine }) {
  const fields = fieldsJson(line);
  return (
    <tr class="log-row" data-level={line.level} data-seq={String(line.seq)}>
      <td class="log-time">
        <time datetime={line.time} title={line.time} safe>
          {line.time.slice(11, 23)}
        </time>
      </td>
      <td>
        <span class={`log-level level-${/^[a-z]+$/.test(line.level) ? line.level : "other"}`} safe>
          {line.level}
        </span>
      </td>
      <td class="log-msg" safe>
        {line.msg}
      </td>
      <td class="log-fields">
        {fields === "" ? (
          ""
        ) : (
          <code class={line.truncated ? "truncated" : undefined} safe>
            {fields}
          </code>
        )}
      </td>
    </tr>
  );
}
