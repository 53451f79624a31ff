#!/usr/bin/env bash
# `make bench-rollout`: `jumpchain apply` of N topics through the jump on the simulator, every cluster
# limited to R requests/s (not told to jumpchain) with L ms latency. Prints wall time, requests / 429s /
# distinct TCP connections per cluster (the simulator's counters), the bound
# `max over clusters (mirrors created there / R) + key propagation waits`, wall / bound, peak RSS and the
# phases (when each kind of step first started and last succeeded).
# Usage: N=1000 P=1 R=50 L=30 benchmarks/bench-rollout.sh  (expects a release build of jumpchain)
# With KILL_AT=0.5, `apply` is killed (SIGKILL) once that fraction of the mirror steps succeeded, and the figures
# are those of `jumpchain resume` from there; its bound counts only the mirrors still to create, plus one 2 s
# key propagation wait (resume mints a session key on the jump).
set -euo pipefail
N=${N:-1000} P=${P:-1} R=${R:-50} L=${L:-30} KILL_AT=${KILL_AT:-}
KEY_WAIT=${KEY_WAIT:-4}  # jump-demo: two 2 s key propagation waits (session key, link key)
here=$(cd "$(dirname "$0")" && pwd)
bin=${JUMPCHAIN_BIN:-$(cd "$here/.." && swift build -c release --show-bin-path)/jumpchain}
work=$(mktemp -d /tmp/jumpchain-bench.XXXXXX)
sim_pid=
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$bin" sim --scenario jump-demo --generate-topics "$N" --partitions "$P" --cluster-rate-limit "$R" \
    --latency-ms "$L" --connection-file "$work/sim.json" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 600); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
[ -s "$work/sim.json" ] || { cat "$work/sim.log"; echo "simulator did not start" >&2; exit 1; }

conn="$work/sim.json"
export JUMPCHAIN_CONTROL_PLANE=$(jq -r .controlPlaneURL "$conn") JUMPCHAIN_LINK_SA=sa-link01
for name in origin jump target; do
    upper=$(echo "$name" | tr a-z A-Z)
    export "JUMPCHAIN_${upper}_ID=$(jq -r ".clusters[] | select(.name==\"$name\") | .id" "$conn")"
    export "JUMPCHAIN_${upper}_REST=$(jq -r ".clusters[] | select(.name==\"$name\") | .restURL" "$conn")"
    export "JUMPCHAIN_${upper}_BOOTSTRAP=$(jq -r ".clusters[] | select(.name==\"$name\") | .bootstrap" "$conn")"
    export "JUMPCHAIN_${upper}_ENV=$(jq -r ".clusters[] | select(.name==\"$name\") | .environment" "$conn")"
done
export JUMPCHAIN_CLOUD_KEY=$(jq -r '.operatorKeys[] | select(.resource==null) | .id' "$conn")
export JUMPCHAIN_CLOUD_SECRET=$(jq -r '.operatorKeys[] | select(.resource==null) | .secret' "$conn")
for name in origin target; do
    upper=$(echo "$name" | tr a-z A-Z)
    id=$(jq -r ".clusters[] | select(.name==\"$name\") | .id" "$conn")
    export "JUMPCHAIN_${upper}_KEY=$(jq -r ".operatorKeys[] | select(.resource==\"$id\") | .id" "$conn")"
    export "JUMPCHAIN_${upper}_SECRET=$(jq -r ".operatorKeys[] | select(.resource==\"$id\") | .secret" "$conn")"
done

echo "bench-rollout: N=$N topics x P=$P partitions, R=$R req/s per cluster, L=$L ms, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Mirrors per cluster and traffic so far (all zero before apply).
echo '{}' >"$work/before.json"
if [ -n "$KILL_AT" ]; then
    "$bin" apply "$here/bench-rollout.yaml" --state-dir "$work/state" >"$work/killed.log" 2>&1 &
    apply_pid=$!
    need=$(echo "$N * 2 * $KILL_AT / 1" | bc)
    while kill -0 "$apply_pid" 2>/dev/null; do
        done_steps=$(grep -c '^.*mirror-.* succeeded' "$work/killed.log" || true)
        if [ "$done_steps" -ge "$need" ]; then kill -9 "$apply_pid"; break; fi
        sleep 0.2
    done
    wait "$apply_pid" 2>/dev/null || true
    echo "killed apply after $(grep -c '^.*mirror-.* succeeded' "$work/killed.log" || true) of $((N * 2)) mirror steps succeeded"
    curl -s "$JUMPCHAIN_CONTROL_PLANE/sim/v1/state" |
        jq '{mirrors: ([.mirrors[] | .cluster_id] | group_by(.) | map({key: .[0], value: length}) | from_entries),
             traffic: .traffic}' >"$work/before.json"
    KEY_WAIT=2  # resume mints one key (the session key on the jump)
    command=(resume bench-rollout)
else
    command=(apply "$here/bench-rollout.yaml")
fi
start=$(date +%s.%N)
status=0
/usr/bin/time -v -o "$work/time.txt" "$bin" "${command[@]}" --state-dir "$work/state" ${APPLY_FLAGS:-} \
    >"$work/apply.log" 2>&1 || status=$?
end=$(date +%s.%N)
if [ "$status" != 0 ]; then tail -30 "$work/apply.log"; echo "${command[0]} exited $status" >&2; exit "$status"; fi

curl -s "$JUMPCHAIN_CONTROL_PLANE/sim/v1/state" >"$work/state.json"
wall=$(echo "$end - $start" | bc -l)
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
echo "command         jumpchain ${command[*]}"
jq -r --argjson r "$R" --argjson wait "$KEY_WAIT" --argjson wall "$wall" --argjson rss "$rss_kb" \
    --slurpfile before "$work/before.json" '
  . as $s
  | ($before[0]) as $b
  | [$s.clusters[] | .id as $id | {id: $id, name: .name,
       mirrors: (([$s.mirrors[] | select(.cluster_id == $id)] | length) - ($b.mirrors[$id] // 0)),
       t: {requests: ($s.traffic[$id].requests - ($b.traffic[$id].requests // 0)),
           too_many_requests: ($s.traffic[$id].too_many_requests - ($b.traffic[$id].too_many_requests // 0)),
           connections: ($s.traffic[$id].connections - ($b.traffic[$id].connections // 0))}}] as $rows
  | (([$rows[] | .mirrors] | max) / $r + $wait) as $bound
  | (["wall            \($wall * 100 | round / 100) s"]
     + [$rows[] | "\(.name | . + "        " | .[0:8]) \(.id): \(.t.requests) requests, \(.t.too_many_requests) x 429 (\(if .t.requests > 0 then (.t.too_many_requests * 1000 / .t.requests | round / 10) else 0 end)%), \(.t.connections) connections, \(.mirrors) mirrors"]
     + ["control plane   \($s.traffic["control-plane"].requests) requests, \($s.traffic["control-plane"].too_many_requests) x 429, \($s.traffic["control-plane"].connections) connections",
        "bound           \($bound * 100 | round / 100) s (max mirrors per cluster / \($r) + \($wait) s key propagation)",
        "wall / bound    \($wall / $bound * 100 | round / 100)",
        "peak RSS        \($rss / 1024 | round) MiB"])
  | .[]' "$work/state.json"
# Where the time went, from the step log (1 s resolution): seconds after the run started when each kind of
# step first started and last succeeded (mirror-jump:* and mirror-target:* as one kind each).
awk '
  function secs(t) { split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
  $2 == "run" && $3 == "started:" && start == "" { start = secs($1) }
  $2 == "step" && ($4 ~ /^#/) {
    kind = $3; sub(/:.*/, "", kind); t = secs($1) - start
    if ($5 == "started" && !(kind in first)) { first[kind] = t; order[++n] = kind }
    if ($5 == "succeeded") last[kind] = t
  }
  END {
    line = "phases (s)     "
    for (i = 1; i <= n; i++) line = line " " order[i] " " first[order[i]] "-" (order[i] in last ? last[order[i]] : "?")
    print line
  }' "$work/apply.log"
