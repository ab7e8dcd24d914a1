import type { ReadAnswer } from "../../src/admin/pages/api-test-answer.ts";
import type { ApiTestCall, CallOutcome, RpcExchange } from "../../src/admin/pages/api-test-call.ts";
import {
  ALL_ARGUMENTS,
  fieldName,
  type ToolField,
  type ToolForm,
} from "../../src/admin/pages/api-test-schema.ts";
import type { ListedTool, ToolListing } from "../../src/admin/pages/api-test-tools.ts";
import { AdminShell } from "./shell.tsx";

export interface ApiTestServer {
  name: string;
  displayName: string;
}

export interface ApiTestPageProps {
  username: string;
  csrfToken: string;
  /** The servers the admin may use. */
  servers: ApiTestServer[];
  /** The chosen server and its tools. */
  server?: ApiTestServer;
  listing?: ToolListing;
  /** The chosen tool and its generated form. */
  tool?: ListedTool;
  form?: ToolForm;
  /** The form's values (as posted, or the schema's defaults), by form field name. */
  values: Record<string, string>;
  /** Each invalid field's problem, by form field name. */
  errors: Record<string, string>;
  /** Why the page could not do what was asked (an unknown server or tool). */
  problem?: string;
  /** The outcome of "Call". */
  call?: ApiTestCall;
  /** ADMIN_API_TEST_MAX_ANSWER_BYTES, for the note on a cut answer. */
  maxAnswerBytes: number;
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2) ?? String(value);

function Field({
  field,
  index,
  value,
  error,
}: {
  field: ToolField;
  index: number;
  value: string | undefined;
  error: string | undefined;
}) {
  const id = `api-test-arg-${index}`;
  const name = fieldName(field.name);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [field.description ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ");
  const common = {
    id,
    name,
    "aria-invalid": error ? "true" : undefined,
    "aria-required": field.required ? "true" : undefined,
    "aria-describedby": describedBy || undefined,
  };
  let control: JSX.Element;
  if (field.kind === "boolean") {
    control = (
      <input type="checkbox" class="api-test-check" value="on" checked={value === "on"} {...common} />
    );
  } else if (field.kind === "enum") {
    control = (
      <select {...common}>
        {field.required ? "" : <option value="">(not sent)</option>}
        {field.options.map((option) => (
          <option value={option} selected={option === value} safe>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === "json") {
    const shape =
      field.jsonType === "array" ? "a JSON array" : field.jsonType === "object" ? "a JSON object" : "JSON";
    control = (
      <textarea class="api-test-input" rows="4" spellcheck="false" placeholder={shape} {...common} safe>
        {value ?? ""}
      </textarea>
    );
  } else {
    const numeric = field.kind === "number" || field.kind === "integer";
    control = (
      <input
        type="text"
        inputmode={numeric ? (field.kind === "integer" ? "numeric" : "decimal") : undefined}
        autocomplete="off"
        value={value ?? ""}
        {...common}
      />
    );
  }
  return (
    <div class="api-test-field" data-argument={field.name} data-kind={field.kind}>
      <label for={id}>
        <span>
          <code class="api-test-name" safe>
            {field.name}
          </code>
          {field.title ? <span safe>{` ${field.title}`}</span> : ""}
          {field.required ? <span class="api-test-required"> (required)</span> : ""}
          <span class="hint" safe>{` ${field.kind === "json" ? "JSON" : field.kind}`}</span>
        </span>
      </label>
      {control}
      {field.description ? (
        <p class="hint api-test-description" id={hintId} safe>
          {field.description}
        </p>
      ) : (
        ""
      )}
      {error ? (
        <p class="api-test-error" id={errorId} safe>
          {error}
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

function ArgumentFields({
  form,
  values,
  errors,
}: {
  form: ToolForm;
  values: ApiTestPageProps["values"];
  errors: ApiTestPageProps["errors"];
}) {
  if (form.mode === "json") {
    const error = errors[ALL_ARGUMENTS];
    return (
      <div class="api-test-field" data-kind="arguments">
        <label for="api-test-arguments">Arguments (a JSON object)</label>
        <textarea
          class="api-test-input"
          id="api-test-arguments"
          name={ALL_ARGUMENTS}
          rows="8"
          spellcheck="false"
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "api-test-arguments-error" : undefined}
          safe
        >
          {values[ALL_ARGUMENTS] ?? "{}"}
        </textarea>
        <p class="hint" safe>
          {form.reason}
        </p>
        {error ? (
          <p class="api-test-error" id="api-test-arguments-error" safe>
            {error}
          </p>
        ) : (
          ""
        )}
      </div>
    );
  }
  if (form.fields.length === 0) return <p class="hint">The tool takes no arguments.</p>;
  return (
    <>
      {form.fields.map((field, index) => (
        <Field
          field={field}
          index={index}
          value={values[fieldName(field.name)]}
          error={errors[fieldName(field.name)]}
        />
      ))}
    </>
  );
}

/** The outcome in one sentence. */
function summary(outcome: CallOutcome, latencyMs: number, status: number | undefined): string {
  const http = status === undefined ? "" : ` (HTTP ${status})`;
  switch (outcome.kind) {
    case "result":
      return outcome.isError
        ? `The tool answered with an error (isError: true) in ${latencyMs} ms.`
        : `The tool answered in ${latencyMs} ms.`;
    case "rpc_error":
      return `JSON-RPC error ${String(outcome.code)}: ${outcome.message}${http}`;
    case "http_error":
      return `The gateway answered HTTP ${outcome.status}.`;
    case "no_answer":
      return `The answer ended without a response to the request${http}.`;
    case "timeout":
      return `No answer within ${outcome.timeoutMs} ms (ADMIN_API_TEST_TIMEOUT_MS): the call was abandoned.`;
    case "failed":
      return `The call failed: ${outcome.message}`;
  }
}

/** The answer's JSON-RPC messages, pretty-printed one after the other. */
function messagesText(answer: ReadAnswer): string {
  if (answer.messages.length > 0) return answer.messages.map((message) => pretty(message)).join("\n\n");
  return answer.raw === undefined ? "(empty)" : "";
}

function Exchange({
  exchange,
  main,
  maxAnswerBytes,
}: {
  exchange: RpcExchange;
  main: boolean;
  maxAnswerBytes: number;
}) {
  const answer = exchange.answer;
  const method = String(exchange.request.method ?? "");
  return (
    <div class="api-test-exchange" data-method={method}>
      <h3 safe>{`Request: ${method}`}</h3>
      <pre class="api-test-json" id={main ? "api-test-request" : undefined} safe>
        {pretty(exchange.request)}
      </pre>
      {answer === undefined ? (
        <p class="hint">No answer.</p>
      ) : (
        <>
          <h3
            safe
          >{`Answer: HTTP ${answer.status}${answer.contentType ? ` · ${answer.contentType}` : ""}`}</h3>
          <pre
            class="api-test-json"
            id={main ? "api-test-answer" : undefined}
            data-status={String(answer.status)}
            safe
          >
            {messagesText(answer)}
          </pre>
          {answer.raw !== undefined ? (
            <>
              <p class="hint">
                {answer.truncated
                  ? `The answer as received, cut at ${maxAnswerBytes} bytes (ADMIN_API_TEST_MAX_ANSWER_BYTES):`
                  : "The answer as received (not JSON-RPC):"}
              </p>
              <pre class="api-test-json api-test-raw" safe>
                {answer.raw}
              </pre>
            </>
          ) : (
            ""
          )}
        </>
      )}
    </div>
  );
}

function CallResult({ call, maxAnswerBytes }: { call: ApiTestCall; maxAnswerBytes: number }) {
  const last = call.exchanges.at(-1);
  const earlier = call.exchanges.slice(0, -1);
  const ok = call.outcome.kind === "result" && !call.outcome.isError;
  return (
    <section class="card" id="api-test-result" aria-labelledby="api-test-result-title">
      <h2 id="api-test-result-title">Result</h2>
      <p
        id="api-test-outcome"
        class={ok ? "notice" : "errors"}
        role={ok ? "status" : "alert"}
        data-outcome={call.outcome.kind}
        safe
      >
        {summary(call.outcome, call.latencyMs, last?.answer?.status)}
      </p>
      <p class="hint">
        Sent to this server's MCP endpoint as an MCP client does, with a bearer token minted for this call
        only (not shown; revoked when the call is over).
      </p>
      {last ? <Exchange exchange={last} main={true} maxAnswerBytes={maxAnswerBytes} /> : ""}
      {earlier.length > 0 ? (
        <details class="api-test-earlier">
          <summary
            safe
          >{`Earlier steps: ${earlier.map((one) => String(one.request.method ?? "")).join(", ")}`}</summary>
          {earlier.map((exchange) => (
            <Exchange exchange={exchange} main={false} maxAnswerBytes={maxAnswerBytes} />
          ))}
        </details>
      ) : (
        ""
      )}
    </section>
  );
}

function ToolChoice({
  server,
  listing,
  tool,
}: {
  server: ApiTestServer;
  listing: ToolListing;
  tool?: ListedTool;
}) {
  if (!listing.ok) {
    return (
      <div class="errors" role="alert" id="api-test-list-error">
        <p>The server's tools could not be listed:</p>
        <pre class="api-test-json" safe>
          {listing.error}
        </pre>
      </div>
    );
  }
  if (listing.tools.length === 0) return <p class="hint">This server lists no tools.</p>;
  return (
    <form method="get" action="/admin/api-test" class="api-test-pick" id="api-test-tool-form">
      <input type="hidden" name="server" value={server.name} />
      <label>
        Tool
        <select name="tool">
          {listing.tools.map((one) => (
            <option value={one.name} selected={one.name === tool?.name} safe>
              {one.allowedForYou ? one.name : `${one.name} (not allowed for you)`}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        Choose tool
      </button>
    </form>
  );
}

/** `/admin/api-test`: pick a server and a tool, fill in its arguments, call it as yourself. */
export function ApiTestPage(props: ApiTestPageProps) {
  const { username, csrfToken, servers, server, listing, tool, form, values, errors } = props;
  return (
    <AdminShell title="API test" current="/admin/api-test" username={username} csrfToken={csrfToken}>
      <div id="api-test-main" class="api-test">
        <p class="hint">
          Calls a tool as you, through the gateway's own MCP endpoint: the checks every client meets apply
          (bearer token, access policy, tool pinning, rate limit), and the call appears in MCP activity under
          your name.
        </p>
        {props.problem ? (
          <div class="errors" role="alert" id="api-test-problem">
            <p safe>{props.problem}</p>
          </div>
        ) : (
          ""
        )}
        <section class="card" aria-labelledby="api-test-pick">
          <h2 id="api-test-pick">Server and tool</h2>
          {servers.length === 0 ? (
            <p class="hint">There is no enabled server you may use.</p>
          ) : (
            <form method="get" action="/admin/api-test" class="api-test-pick" id="api-test-server-form">
              <label>
                Server
                <select name="server">
                  {servers.map((one) => (
                    <option value={one.name} selected={one.name === server?.name} safe>
                      {one.displayName && one.displayName !== one.name
                        ? `${one.displayName} (${one.name})`
                        : one.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" class="secondary">
                Show tools
              </button>
            </form>
          )}
          {server && listing ? <ToolChoice server={server} listing={listing} tool={tool} /> : ""}
        </section>
        {server && tool && form ? (
          <section class="card" aria-labelledby="api-test-tool">
            <h2 id="api-test-tool">
              <code class="api-test-name" safe>
                {tool.name}
              </code>
            </h2>
            {tool.title ? <p safe>{tool.title}</p> : ""}
            {tool.description ? (
              <p class="hint api-test-tool-description" safe>
                {tool.description}
              </p>
            ) : (
              ""
            )}
            {tool.allowedForYou ? (
              ""
            ) : (
              <p class="errors">
                Your grant on this server does not allow this tool: the gateway will refuse the call.
              </p>
            )}
            <form
              method="post"
              action="/admin/api-test"
              class="stack"
              id="api-test-call-form"
              hx-post="/admin/api-test"
              hx-target="#api-test-main"
              hx-select="#api-test-main"
              hx-swap="outerHTML"
              hx-indicator="#api-test-progress"
              hx-disabled-elt="find button[type='submit']"
            >
              <input type="hidden" name="_csrf" value={csrfToken} />
              <input type="hidden" name="server" value={server.name} />
              <input type="hidden" name="tool" value={tool.name} />
              <ArgumentFields form={form} values={values} errors={errors} />
              <p>
                <button type="submit">Call</button>{" "}
                <span id="api-test-progress" class="htmx-indicator" role="status">
                  Calling…
                </span>
              </p>
            </form>
          </section>
        ) : (
          ""
        )}
        {props.call ? <CallResult call={props.call} maxAnswerBytes={props.maxAnswerBytes} /> : ""}
      </div>
    </AdminShell>
  );
}
