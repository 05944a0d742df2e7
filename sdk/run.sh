#!/usr/bin/env bash
# Generate the Python and TypeScript clients from openapi/openapi.json and test both against a live service.
#
#   bash sdk/run.sh                      # from anywhere; needs Python 3.11+, Node >= 20.19 with npm, PyPI and npm
#
# 1. Python toolchain: its own venv, sdk/.venv (pinned by sdk/python/requirements.txt; never the service's venv).
# 2. Python client: openapi-python-client --fail-on-warning -> sdk/python/credcheck-client, pip-installed into
#    sdk/.venv; `mypy --strict` checks sdk/python/test_client.py against it.
# 3. TypeScript toolchain: `npm ci` in sdk/typescript (pinned by package.json and package-lock.json).
# 4. TypeScript client: @hey-api/openapi-ts -> sdk/typescript/client; `tsc --strict` checks test-client.ts.
# 5. docs/integrators.md: its Python/TypeScript snippets must equal the regions of the test programs.
# 6. The service: uvicorn on 127.0.0.1 and a free port, from the repository's .venv/bin/python if it exists
#    (`make install`), else python3 with the project installed (override: CREDCHECK_PYTHON=/path/to/python).
#    Waits for /healthz, runs both test programs and the doc's curl examples, and always stops the server.
#
# Generated code and logs are not committed (sdk/.gitignore). Exits non-zero on the first failure.
# Environment: SDK_PYTHON (interpreter for sdk/.venv, default python3), CREDCHECK_PYTHON (see 6).
set -euo pipefail

SDK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$SDK")"
SPEC="$ROOT/openapi/openapi.json"
OUT="$SDK/out"                          # logs
VENV="$SDK/.venv"                       # Python toolchain (generator, build backend, mypy)
PY_CLIENT="$SDK/python/credcheck-client"
TS_DIR="$SDK/typescript"
BIN="$TS_DIR/node_modules/.bin"

SERVER_PID=""
declare -a TIMINGS=()
START_ALL="${EPOCHREALTIME:-$(date +%s)}"

now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() { STEP_NAME="$1"; STEP_START="$(now)"; echo; echo "== $1"; }
done_step() {
    local t; t="$(elapsed "$STEP_START")"
    TIMINGS+=("$(printf '%6ss  %s' "$t" "$STEP_NAME")")
    echo "   ($t s)"
}
die() { echo "sdk/run.sh: $*" >&2; exit 1; }

cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        echo "stopped the service (pid $SERVER_PID)"
    fi
    if ((${#TIMINGS[@]})); then
        echo
        echo "== timings"
        printf '%s\n' "${TIMINGS[@]}"
        printf '%6ss  total\n' "$(elapsed "$START_ALL")"
    fi
    if ((rc == 0)); then echo "sdk/run.sh: OK"; else echo "sdk/run.sh: FAILED (exit $rc)" >&2; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
[[ -f "$SPEC" ]] || die "no spec at $SPEC"

# ------------------------------------------------------------------ prerequisites
SDK_PYTHON="${SDK_PYTHON:-python3}"
command -v "$SDK_PYTHON" >/dev/null || die "$SDK_PYTHON not found (set SDK_PYTHON)"
"$SDK_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sdk/run.sh needs Python >= 3.11 for the generator")'
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed (Node >= 20.19)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    || die "Node >= 20.19 is needed (@hey-api/openapi-ts 0.95); this is $(node --version)"
echo "python $("$SDK_PYTHON" -c 'import platform; print(platform.python_version())'), node $(node --version), npm $(npm --version 2>/dev/null)"

if [[ -n "${CREDCHECK_PYTHON:-}" ]]; then
    SERVICE_PY="$CREDCHECK_PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
    SERVICE_PY="$ROOT/.venv/bin/python"
else
    SERVICE_PY="$(command -v python3 || true)"
fi
[[ -n "$SERVICE_PY" ]] || die "no Python for the service: run \`make install\` or set CREDCHECK_PYTHON"
# The service must be this checkout's code: `python -m uvicorn` from $ROOT puts $ROOT first on sys.path.
API_ORIGIN="$(cd "$ROOT" && "$SERVICE_PY" -c 'import importlib.util as u, uvicorn; print(u.find_spec("api.main").origin)' 2>/dev/null)" \
    || die "$SERVICE_PY cannot import uvicorn and the service: run \`make install\` (or set CREDCHECK_PYTHON)"
[[ "$API_ORIGIN" == "$ROOT/api/main.py" ]] || die "$SERVICE_PY would serve $API_ORIGIN, not $ROOT/api/main.py"
echo "service: $SERVICE_PY"

# ------------------------------------------------------------------ Python client
step "python toolchain (sdk/.venv, sdk/python/requirements.txt)"
REQS="$SDK/python/requirements.txt"
STAMP="$VENV/.installed-$(cksum < "$REQS" | cut -d' ' -f1)"
if [[ ! -f "$STAMP" ]]; then
    rm -rf "$VENV"
    "$SDK_PYTHON" -m venv "$VENV"
    { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip \
        && "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$REQS"; } >"$OUT/pip.log" 2>&1 \
        || { cat "$OUT/pip.log" >&2; die "pip install -r sdk/python/requirements.txt failed"; }
    touch "$STAMP"
else
    echo "   up to date"
fi
export PATH="$VENV/bin:$PATH"   # openapi-python-client runs ruff, and uv_build runs uv-build, from PATH
echo "   $(openapi-python-client --version)"
done_step

step "python client: openapi-python-client generate --fail-on-warning"
rm -rf "$PY_CLIENT"
if ! openapi-python-client generate --path "$SPEC" --meta uv --config "$SDK/python/config.yaml" \
    --output-path "$PY_CLIENT" --fail-on-warning >"$OUT/python-generate.log" 2>&1; then
    cat "$OUT/python-generate.log"
    die "openapi-python-client failed or warned (see above)"
fi
cat "$OUT/python-generate.log"
python -m pip install --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "$PY_CLIENT" \
    >"$OUT/pip-client.log" 2>&1 || { cat "$OUT/pip-client.log" >&2; die "could not install the generated client"; }
echo "   installed $(python -c 'import importlib.metadata as m; print("credcheck-client", m.version("credcheck-client"))') into sdk/.venv"
done_step

step "python client: mypy --strict sdk/python/test_client.py"
(cd "$SDK/python" && mypy --strict --cache-dir "$OUT/mypy-cache" test_client.py)
done_step

# ------------------------------------------------------------------ TypeScript client
step "typescript toolchain (npm ci in sdk/typescript)"
LOCK_SUM="$(cksum < "$TS_DIR/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$TS_DIR/node_modules/.credcheck-lock" 2>/dev/null)" != "$LOCK_SUM" ]]; then
    (cd "$TS_DIR" && npm ci --no-fund --no-audit --loglevel=error) >"$OUT/npm.log" 2>&1 \
        || { cat "$OUT/npm.log" >&2; die "npm ci failed in sdk/typescript"; }
    echo "$LOCK_SUM" > "$TS_DIR/node_modules/.credcheck-lock"
else
    echo "   up to date"
fi
echo "   @hey-api/openapi-ts $(cd "$TS_DIR" && node -p 'require("./node_modules/@hey-api/openapi-ts/package.json").version'), typescript $(cd "$TS_DIR" && node -p 'require("./node_modules/typescript/package.json").version')"
done_step

step "typescript client: openapi-ts (sdk/typescript/openapi-ts.config.ts)"
rm -rf "$TS_DIR/client"
(cd "$TS_DIR" && "$BIN/openapi-ts") 2>&1 | tee "$OUT/typescript-generate.log"
[[ -f "$TS_DIR/client/sdk.gen.ts" ]] || die "openapi-ts produced no client"
! grep -qiE 'warn|error' "$OUT/typescript-generate.log" || die "openapi-ts reported warnings or errors (see above)"
done_step

step "typescript client: tsc --noEmit --strict"
(cd "$TS_DIR" && "$BIN/tsc" -p tsconfig.json)
done_step

step "docs/integrators.md snippets = test programs"
python "$SDK/docs_snippets.py" check
done_step

# ------------------------------------------------------------------ the service
step "start the service"
PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE_URL="http://127.0.0.1:$PORT"
cd "$ROOT"
"$SERVICE_PY" -m uvicorn api.main:app --host 127.0.0.1 --port "$PORT" --log-level warning >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
HEALTH=""
HEALTH_PY='import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=2); print(r.headers["X-Rules-Version"])'
for _ in $(seq 150); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "the service exited during start-up"; }
    if HEALTH="$(python -c "$HEALTH_PY" "$BASE_URL/healthz" 2>/dev/null)"; then break; fi
    HEALTH=""
    sleep 0.2
done
[[ -n "$HEALTH" ]] || { cat "$OUT/server.log" >&2; die "no answer from $BASE_URL/healthz within 30 s"; }
echo "   $BASE_URL (pid $SERVER_PID), rules $HEALTH"
done_step

export CREDCHECK_URL="$BASE_URL"

step "python client against the service: sdk/python/test_client.py"
python "$SDK/python/test_client.py"
done_step

step "typescript client against the service: sdk/typescript/test-client.ts"
(cd "$TS_DIR" && "$BIN/tsx" test-client.ts)
done_step

step "docs/integrators.md curl examples against the service"
python "$SDK/docs_snippets.py" curl "$BASE_URL"
done_step

if [[ -s "$OUT/server.log" ]]; then
    echo; echo "== service log (sdk/out/server.log)"; cat "$OUT/server.log"
fi
