#!/usr/bin/env bash
# `make fuzz` (not part of `make test`): coverage-guided fuzzing with libFuzzer of the YAML reader, the
# playbook decoder, the secret-reference parser and the properties parser (Sources/PlaybookFuzzer), seeded
# from playbooks/, for a bounded time. Prints runs, executions and crashes for benchmarks/README.md.
#
#   FUZZ_SECONDS=<n>  time per run (default 120)     FUZZ_RUNS=<n>  runs with seeds 1..n (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${FUZZ_SECONDS:-120}"
RUNS="${FUZZ_RUNS:-1}"
SCRATCH=.build-fuzzer
flags=(--scratch-path "$SCRATCH" --product PlaybookFuzzer -Xswiftc -sanitize=fuzzer,address
    -Xswiftc -D -Xswiftc JUMPCHAIN_LIBFUZZER)
swift build "${flags[@]}"
fuzzer="$(swift build "${flags[@]}" --show-bin-path)/PlaybookFuzzer"

# Seed corpus: the first byte picks the parser (0 playbook, 1 properties, 2 secret reference).
corpus="$SCRATCH/corpus"
mkdir -p "$corpus" "$SCRATCH/artifacts"
for file in playbooks/*.yaml; do { printf '\x00'; cat "$file"; } >"$corpus/playbook-$(basename "$file")"; done
for file in playbooks/*.properties; do { printf '\x01'; cat "$file"; } >"$corpus/props-$(basename "$file")"; done
index=0
for reference in 'env:JUMPCHAIN_SECRET' 'file:secrets/origin.secret' 'file:/etc/x' 'stdin' 'literal' 'env:' 'file:'; do
    printf '\x02%s' "$reference" >"$corpus/secret-$index"
    index=$((index + 1))
done

total_executions=0
total_crashes=0
for run in $(seq 1 "$RUNS"); do
    log="$SCRATCH/run-$run.log"
    status=0
    "$fuzzer" "$corpus" -seed="$run" -max_total_time="$SECONDS_PER_RUN" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$SCRATCH/artifacts/" >"$log" 2>&1 || status=$?
    executions=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -1)
    crashes=$(grep -c -E "^==[0-9]+==ERROR|deadly signal|Fatal error" "$log" || true)
    [ "$status" = 0 ] || [ "$crashes" -gt 0 ] || crashes=1
    echo "fuzz: run $run (seed $run, ${SECONDS_PER_RUN} s): ${executions:-0} executions, $crashes crashes"
    total_executions=$((total_executions + ${executions:-0}))
    total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $(date -u '+%Y-%m-%d %H:%M UTC'): $RUNS run(s), $total_executions executions, $total_crashes crashes" \
    "(corpus $(ls "$corpus" | wc -l) inputs; artifacts in $SCRATCH/artifacts/)"
[ "$total_crashes" = 0 ]
