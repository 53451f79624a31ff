#!/usr/bin/env bash
# Spec-driven fuzzing of `jumpchain sim` (part of `make test`): schemathesis, pinned and installed into a
# throwaway virtualenv under .build-fuzz/, generates requests from Confluent's official OpenAPI documents for
# every operation the simulator serves (cluster and control plane, DELETE and PATCH included) and checks
# not_a_server_error, response_schema_conformance (with only the deviations docs/simulator.md lists) and
# content_type_conformance. Seeded and bounded by example count; afterwards the simulator must still answer
# and its RSS must be under 1 GB. Skips, saying why, when the specs, python3/venv or pip are unavailable.
#
#   FUZZ_SEED=<n>      replay a run (default 20261201)
#   FUZZ_EXAMPLES=<n>  examples per operation (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
SEED="${FUZZ_SEED:-20261201}"
EXAMPLES="${FUZZ_EXAMPLES:-20}"
WORK=.build-fuzz
RSS_LIMIT_KB=$((1024 * 1024))

skip() { echo "fuzz-sim: SKIPPED: $*"; exit 0; }

# The specs, found like the Swift tests find them (SpecLocator): $JUMPCHAIN_SPECS, else shared/specs beside
# the working directory or any ancestor (e.g. ../shared/specs).
specs="${JUMPCHAIN_SPECS:-}"
if [ -z "$specs" ]; then
    directory="$PWD"
    while [ "$directory" != "/" ]; do
        if [ -d "$directory/shared/specs/confluent-cloud" ]; then specs="$directory/shared/specs"; break; fi
        directory="$(dirname "$directory")"
    done
fi
[ -n "$specs" ] && [ -d "$specs/confluent-cloud" ] \
    || skip "Confluent's OpenAPI documents not found (set JUMPCHAIN_SPECS or provide ../shared/specs)"
command -v python3 >/dev/null || skip "python3 is not installed"

mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/schemathesis" ] \
    || [ "$("$WORK/venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    python3 -m venv "$WORK/venv" >/dev/null 2>&1 || skip "python3 cannot create a virtualenv (install python3-venv)"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
        >"$WORK/pip.log" 2>&1 || skip "pip could not install schemathesis==$SCHEMATHESIS_VERSION (see $WORK/pip.log)"
fi
python="$WORK/venv/bin/python"

bin="$(swift build --show-bin-path)/jumpchain"
[ -x "$bin" ] || swift build --product jumpchain

# A simulator started for the purpose, on OS-chosen loopback ports.
rm -f "$WORK/sim-connection.json"
"$bin" sim --scenario jump-demo --connection-file "$WORK/sim-connection.json" >"$WORK/sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; wait "$sim" 2>/dev/null || true; rm -f "$WORK/sim-connection.json"' EXIT
for _ in $(seq 1 100); do
    [ -s "$WORK/sim-connection.json" ] && break
    kill -0 "$sim" 2>/dev/null || { cat "$WORK/sim.log"; echo "fuzz-sim: the simulator did not start"; exit 1; }
    sleep 0.1
done

# Copies of the documents with the deviations of docs/simulator.md applied, and the run plan.
"$python" scripts/fuzz-sim-plan.py "$specs" "$WORK" "$WORK/sim-connection.json" >"$WORK/plan.tsv"

started=$(date +%s)
failed=0
while IFS=$'\t' read -r name spec url auth include; do
    echo "fuzz-sim: $name ($url, operations matching $include)"
    # Run from $WORK: schemathesis keeps its cache (.schemathesis/) in the working directory.
    if ! (cd "$WORK" && venv/bin/schemathesis --config-file schemathesis.toml run "$spec" --url "$url" --auth "$auth" \
        --include-path-regex "$include" \
        --checks not_a_server_error,response_schema_conformance,content_type_conformance \
        --phases examples,coverage,fuzzing --mode positive --max-examples "$EXAMPLES" --seed "$SEED" \
        --workers 1 --request-timeout 10 --generation-database none --no-color --output-truncate true \
        >"$name.log" 2>&1); then
        failed=1
        tail -60 "$WORK/$name.log"
    else
        grep -E "^[0-9]+ (operations|test cases)|passed|Test cases:|API Operations:" "$WORK/$name.log" | tail -3 || true
    fi
done <"$WORK/plan.tsv"

# Still answering, and bounded.
state_url=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["stateURL"])' "$WORK/sim-connection.json")
"$python" -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10).read()' "$state_url" \
    || { echo "fuzz-sim: FAILED: the simulator no longer answers"; exit 1; }
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$sim/status")
echo "fuzz-sim: seed $SEED, $EXAMPLES examples per operation, $(( $(date +%s) - started )) s, simulator RSS $((rss_kb / 1024)) MiB"
[ "$rss_kb" -lt "$RSS_LIMIT_KB" ] || { echo "fuzz-sim: FAILED: simulator RSS ${rss_kb} kB ≥ 1 GB"; exit 1; }
[ "$failed" = 0 ] || { echo "fuzz-sim: FAILED (replay: FUZZ_SEED=$SEED make fuzz-sim; logs in $WORK/)"; exit 1; }
echo "fuzz-sim: passed"
