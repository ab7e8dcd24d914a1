#!/usr/bin/env bash
# Smoke test of the built executable: start it on a temporary data directory and a free port,
# GET /healthz, the first-run setup code (log line and 0600 file), create-admin --password-stdin (which
# removes the code), POST /auth/login, healthcheck, stop (SIGTERM → exit 0).
# Usage: .ci/smoke.sh [path/to/authmcp-gateway]
set -euo pipefail

bin="$(realpath "${1:-dist/authmcp-gateway}")"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "smoke: $*" >&2
  echo "--- gateway output ---" >&2
  cat "$work/gateway.log" >&2 || true
  exit 1
}

# A free port: the kernel's pick for port 0.
port="$(bun -e 'const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() }); console.log(s.port); s.stop(true);')"
cd "$work"  # an empty directory: nothing but the executable's own contents may be needed
export AUTH_SQLITE_PATH="$work/data/users.db" PORT="$port" HOST=127.0.0.1
unset MCP_PUBLIC_URL
base="http://127.0.0.1:$port"

"$bin" --version
"$bin" start >"$work/gateway.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || fail "the gateway exited at start"
  sleep 0.1
done
curl -fsS "$base/healthz" | grep -q '"ok"' || fail "/healthz did not answer ok"
echo "smoke: /healthz ok"
curl -fsS "$base/readyz" >/dev/null || fail "/readyz is not ready"

# First run: a one-time setup code in the log and in a 0600 file of the data directory.
code_file="$work/data/setup-code"
for _ in $(seq 1 50); do grep -q "enter the setup code" "$work/gateway.log" && break; sleep 0.1; done
grep -q "no admin yet: open http://localhost:$port/setup and enter the setup code $(cat "$code_file")" "$work/gateway.log" \
  || fail "the setup code is not in the log"
[ "$(stat -c %a "$code_file")" = "600" ] || fail "the setup code file is not mode 0600"
echo "smoke: setup code ok"

password='Sm0ke!Passw0rd-ci'
printf '%s\n' "$password" | "$bin" create-admin --username smoke --email smoke@example.com --password-stdin \
  || fail "create-admin failed"
[ ! -e "$code_file" ] || fail "create-admin left the setup code behind"

login="$(curl -sS -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"smoke\",\"password\":\"$password\"}")"
echo "$login" | grep -q '"access_token"' || fail "POST /auth/login: $login"
echo "$login" | grep -q '"token_type":"Bearer"' || fail "POST /auth/login: $login"
echo "smoke: POST /auth/login ok"

"$bin" healthcheck || fail "healthcheck failed while the gateway runs"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || fail "the gateway exited with $status on SIGTERM"
if "$bin" healthcheck 2>/dev/null; then fail "healthcheck passed after stop"; fi
if grep -q "$password" "$work/gateway.log"; then fail "the password appears in the logs"; fi
echo "smoke: passed"
