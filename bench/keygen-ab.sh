#!/usr/bin/env bash
# Key generation through Coffer's PKCS#11 module against two builds of the node, in one run:
# a dev node of each, coffer-pkpspeed aes-keygen at 1 and 8 threads, the two alternating each
# round so the machine's noise falls on both alike. Per run: ops/s, p50/p99, store transactions
# per key (2 when no two commits share one: the key's creation and its destroy) and the node's
# CPU milliseconds per key (all its threads). Then, per round and build, AES-GCM at one thread
# while 8 other threads generate keys: how long a request that writes nothing waits behind the
# commits of those that do.
#
#   bash bench/keygen-ab.sh DIST_A DIST_B [seconds=5] [rounds=3]
#   bash bench/keygen-ab.sh ../other-tree/dist dist 5 5
#
# Each DIST is a built tree's dist/ directory (its native/ and src/ beside it). Run after
# `make -C pkcs11 all`. Prints one JSON object per run.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIST_A DIST_B [seconds] [rounds]" >&2; exit 2; }
dists=("$(cd "$1" && pwd)" "$(cd "$2" && pwd)")
seconds=${3:-5}
rounds=${4:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
tool=$root/pkcs11/build/coffer-pkpspeed
module=$root/pkcs11/build/libcoffer-pkcs11.so
[ -x "$tool" ] || { echo "coffer-pkpspeed is not built: run 'make -C pkcs11 all'" >&2; exit 1; }
. "$root/bench/work-dir.sh"

revision() {
  node -e '
    const Database = require(process.argv[1]);
    const db = new Database(process.argv[2], { readonly: true });
    console.log(db.prepare("SELECT value FROM meta WHERE name = ?").get("revision").value);' \
    "$root/node_modules/better-sqlite3" "$work/$1/store.db"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/${pids[$1]}/stat"; }

for side in 0 1; do
  port=$((${COFFER_BENCH_PORT:-2480} + side))
  data=$work/$side
  node "${dists[$side]}/src/cli/main.js" up --data-dir "$data" --port "$port" >"$work/$side.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    [ -f "$data/pkcs11.json" ] && [ -f "$data/dev/admin.pin" ] &&
      curl -skf "https://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
    kill -0 "${pids[$side]}" 2>/dev/null || { cat "$work/$side.log" >&2; exit 1; }
    sleep 0.2
  done
  COFFER_DATA_DIR="$data" COFFER_PIN="$(cat "$data/dev/admin.pin")" \
    node "${dists[$side]}/src/cli/main.js" user create --username bench --role crypto-user \
    --password bench-password-1 >/dev/null
done

ticks_per_second=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  for threads in 1 8; do
    for side in 0 1; do
      revision_before=$(revision "$side")
      ticks_before=$(cpu_ticks "$side")
      COFFER_PKCS11_CONF=$work/$side/pkcs11.json "$tool" --module "$module" --pin bench:bench-password-1 \
        --gcm-iv zero --threads "$threads" --seconds "$seconds" --ops aes-keygen --json >"$work/run.json" 2>"$work/run.err"
      node -e '
        const [file, round, dist, r0, r1, t0, t1, hz] = process.argv.slice(1);
        const r = JSON.parse(require("fs").readFileSync(file, "utf8").trim());
        console.log(JSON.stringify({
          round: Number(round), dist, threads: r.threads, opsPerSec: r.opsPerSec,
          p50Ms: Number(r.p50Ms.toFixed(2)), p99Ms: Number(r.p99Ms.toFixed(2)), errors: r.errors,
          txnsPerKey: Number(((r1 - r0) / r.ops).toFixed(2)),
          nodeCpuMsPerKey: Number((((t1 - t0) * 1000) / hz / r.ops).toFixed(2)),
        }));' "$work/run.json" "$round" "${dists[$side]}" "$revision_before" "$(revision "$side")" \
        "$ticks_before" "$(cpu_ticks "$side")" "$ticks_per_second"
    done
  done
  for side in 0 1; do
    export COFFER_PKCS11_CONF=$work/$side/pkcs11.json
    "$tool" --module "$module" --pin bench:bench-password-1 --gcm-iv zero --threads 8 \
      --seconds $((seconds + 2)) --ops aes-keygen --json >"$work/load.json" 2>"$work/load.err" &
    load=$!
    sleep 1
    "$tool" --module "$module" --pin bench:bench-password-1 --gcm-iv zero --threads 1 \
      --seconds "$seconds" --ops aes-gcm-1k --json >"$work/run.json" 2>"$work/run.err"
    wait "$load"
    node -e '
      const [file, round, dist] = process.argv.slice(1);
      const r = JSON.parse(require("fs").readFileSync(file, "utf8").trim());
      console.log(JSON.stringify({
        round: Number(round), dist, op: "aes-gcm-1k beside 8 keygen threads", opsPerSec: r.opsPerSec,
        p50Ms: Number(r.p50Ms.toFixed(2)), p99Ms: Number(r.p99Ms.toFixed(2)), errors: r.errors,
      }));' "$work/run.json" "$round" "${dists[$side]}"
  done
done
