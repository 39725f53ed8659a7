#!/usr/bin/env bash
# `coffer bench` of this tree and of another git ref, side by side on one machine in one run:
# both are built, each serves its own dev node on loopback, and the rounds alternate between
# them so the machine's noise falls on both alike. Prints each round and the median per side.
#
#   bash bench/compare-ref.sh <ref> [operations] [concurrency] [seconds] [rounds]
#   bash bench/compare-ref.sh HEAD~3 p256-sign,aes256-gcm-1k-encrypt 8 8 3
#
# Run after `make build` (it reuses this tree's node_modules for the other ref's build).
set -euo pipefail
ref=${1:?usage: compare-ref.sh <ref> [operations] [concurrency] [seconds] [rounds]}
operations=${2:-p256-sign,aes256-gcm-1k-encrypt}
concurrency=${3:-8}
seconds=${4:-8}
rounds=${5:-3}

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/work-dir.sh"
undo_more() { git -C "$root" worktree remove --force "$work/ref" 2>/dev/null || true; }

git -C "$root" worktree add -q --detach "$work/ref" "$ref"
ln -s "$root/node_modules" "$work/ref/node_modules"
(cd "$work/ref" && npx tsc -p tsconfig.json)

# side name, source tree, port
sides=("ref $work/ref 2391" "tree $root 2392")

start() {
  local name=$1 tree=$2 port=$3 data="$work/data-$1"
  node "$tree/dist/src/cli/main.js" up --data-dir "$data" --port "$port" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    [ -f "$data/client.json" ] && [ -f "$data/dev/admin.pin" ] &&
      curl -skf "https://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  COFFER_DATA_DIR="$data" COFFER_PIN="$(cat "$data/dev/admin.pin")" \
    node "$tree/dist/src/cli/main.js" user create --username bench --role crypto-user \
    --password 'bench-password-1' >/dev/null
}

bench() {
  local name=$1 tree=$2
  COFFER_DATA_DIR="$work/data-$name" COFFER_PIN='bench:bench-password-1' \
    node "$tree/dist/src/cli/main.js" bench --operation "$operations" --concurrency "$concurrency" \
    --duration "$seconds" --json
}

for side in "${sides[@]}"; do start $side; done
echo "ref=$(git -C "$root" rev-parse --short "$ref") tree=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo +changes)" \
  "concurrency=$concurrency seconds=$seconds rounds=$rounds cores=$(nproc)"
results="$work/results.jsonl"
for round in $(seq 1 "$rounds"); do
  for side in "${sides[@]}"; do
    set -- $side
    bench "$1" "$2" | node -e '
      const [side, round] = process.argv.slice(1);
      let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
        for (const row of JSON.parse(text).results)
          console.log(JSON.stringify({ side, round: Number(round), ...row }));
      });' "$1" "$round" | tee -a "$results" | node -e '
      let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
        for (const line of text.trim().split("\n")) {
          const r = JSON.parse(line);
          console.log(`round ${r.round} ${r.side.padEnd(4)} ${r.operation.padEnd(24)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`);
        }
      });'
  done
done
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  console.log("\nmedian of the rounds:");
  for (const op of [...new Set(rows.map((r) => r.operation))]) {
    const of = (side, field) => median(rows.filter((r) => r.side === side && r.operation === op).map((r) => r[field]));
    const ref = of("ref", "opsPerSec"), tree = of("tree", "opsPerSec");
    console.log(`${op.padEnd(24)} ref ${ref.toFixed(0).padStart(7)} ops/s (p50 ${of("ref", "p50Ms").toFixed(2)} p99 ${of("ref", "p99Ms").toFixed(2)} ms)` +
      `  tree ${tree.toFixed(0).padStart(7)} ops/s (p50 ${of("tree", "p50Ms").toFixed(2)} p99 ${of("tree", "p99Ms").toFixed(2)} ms)` +
      `  change ${(((tree - ref) / ref) * 100).toFixed(1)}%`);
  }' "$results"
