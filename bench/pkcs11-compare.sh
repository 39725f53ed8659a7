#!/usr/bin/env bash
# coffer-pkpspeed against Coffer's PKCS#11 module and SoftHSM2's, side by side on one machine
# in one run: the same client code drives both modules, 1 and 2 processes × 1 and 8 threads,
# the two modules alternating so the machine's noise falls on both alike. Prints each run and a
# table with the Coffer/SoftHSM2 ratio of ops/s.
#
#   bash bench/pkcs11-compare.sh [ops] [seconds] [find-keys]
#   bash bench/pkcs11-compare.sh p256-sign,aes-gcm-1k 5 1000
#
# Run after `make build` (the node) with softhsm2 installed. It starts a dev node and makes a
# SoftHSM2 token, both in a temp dir, and stops and removes them on exit.
set -euo pipefail
ops=${1:-rsa2048-sign,p256-sign,aes-gcm-1k,aes-keygen,find-label}
seconds=${2:-5}
find_keys=${3:-1000}
port=${COFFER_BENCH_PORT:-2393}
softhsm_module=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

root=$(cd "$(dirname "$0")/.." && pwd)
tool=$root/pkcs11/build/coffer-pkpspeed
coffer_module=$root/pkcs11/build/libcoffer-pkcs11.so
[ -f "$root/dist/src/cli/main.js" ] || { echo "the node is not built: run 'make build'" >&2; exit 1; }
[ -f "$softhsm_module" ] && command -v softhsm2-util >/dev/null ||
  { echo "softhsm2 is not installed (apt-get install softhsm2)" >&2; exit 1; }
make -s -C "$root/pkcs11" all

. "$root/bench/work-dir.sh"

# SoftHSM2: its own config and token directory, one token.
export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$SOFTHSM2_CONF"
softhsm_pin=bench-user-1
softhsm2-util --init-token --free --label bench --so-pin bench-so-pin-1 --pin "$softhsm_pin" >/dev/null

# Coffer: a dev node and a crypto user; the module reads the pkcs11.json `coffer up` writes.
data=$work/coffer
node "$root/dist/src/cli/main.js" up --data-dir "$data" --port "$port" >"$work/coffer.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  [ -f "$data/pkcs11.json" ] && [ -f "$data/dev/admin.pin" ] &&
    curl -skf "https://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/coffer.log" >&2; exit 1; }
  sleep 0.2
done
coffer_pin=bench:bench-password-1
COFFER_DATA_DIR="$data" COFFER_PIN="$(cat "$data/dev/admin.pin")" \
  node "$root/dist/src/cli/main.js" user create --username bench --role crypto-user \
  --password "${coffer_pin#bench:}" >/dev/null
export COFFER_PKCS11_CONF=$data/pkcs11.json

# side, module, PIN, GCM IV style (Coffer makes the IV; SoftHSM2 takes the caller's)
sides=("coffer $coffer_module $coffer_pin zero" "softhsm2 $softhsm_module $softhsm_pin counter")
results=$work/results.jsonl
echo "ops=$ops seconds=$seconds find-keys=$find_keys cores=$(nproc) tree=$(git -C "$root" rev-parse --short HEAD)"
for processes in 1 2; do
  for threads in 1 8; do
    for side in "${sides[@]}"; do
      set -- $side
      # Exit 3 means some op reported errors: they are in the rows, the run goes on.
      rc=0
      "$tool" --module "$2" --pin "$3" --gcm-iv "$4" --processes "$processes" --threads "$threads" \
        --seconds "$seconds" --ops "$ops" --find-keys "$find_keys" --json >"$work/run.jsonl" 2>"$work/run.err" || rc=$?
      if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        echo "$1: coffer-pkpspeed failed ($rc): $(tail -n 3 "$work/run.err")" >&2
        continue
      fi
      node -e '
        const side = process.argv[1];
        for (const line of require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean)) {
          const r = { side, ...JSON.parse(line) };
          console.log(JSON.stringify(r));
          const ms = (x) => (x === null ? "-" : x.toFixed(3));
          console.error(`${side.padEnd(8)} ${r.op.padEnd(13)} ${r.processes}x${String(r.threads).padEnd(2)} ` +
            `${r.opsPerSec.toFixed(1).padStart(10)} ops/s  p50 ${ms(r.p50Ms)} ms  p99 ${ms(r.p99Ms)} ms  errors ${r.errors}` +
            (r.firstError ? `  (${r.firstError})` : ""));
        }' "$1" <"$work/run.jsonl" >>"$results"
    done
  done
done

[ -s "$results" ] || { echo "no results" >&2; exit 1; }
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const find = (side, r) => rows.find((x) => x.side === side && x.op === r.op && x.processes === r.processes && x.threads === r.threads);
  const ms = (x) => (x === null ? "-" : x.toFixed(3));
  const columns = (values) => [values[0].padStart(10), values[1].padStart(8), values[2].padStart(8), values[3].padStart(6)].join(" ");
  const cell = (x) => columns(x === undefined ? ["-", "-", "-", "-"] : [x.opsPerSec.toFixed(1), ms(x.p50Ms), ms(x.p99Ms), String(x.errors)]);
  const header = columns(["ops/s", "p50 ms", "p99 ms", "errors"]);
  console.log("\n" + "".padEnd(20) + "Coffer".padEnd(36) + "SoftHSM2");
  console.log(`${"op".padEnd(13)} ${"PxT".padEnd(5)} ${header} ${header}  coffer/softhsm2`);
  const configurations = [...new Map(rows.map((r) => [`${r.op}/${r.processes}/${r.threads}`, r])).values()];
  for (const r of configurations) {
    const c = find("coffer", r), s = find("softhsm2", r);
    // A ratio only where both ran clean: a rate of failures compares nothing.
    const ratio = c && s && c.errors === 0 && s.errors === 0 && s.opsPerSec > 0 ? (c.opsPerSec / s.opsPerSec).toFixed(2) : "-";
    console.log(`${r.op.padEnd(13)} ${`${r.processes}x${r.threads}`.padEnd(5)} ${cell(c)} ${cell(s)}  ${ratio.padStart(15)}`);
  }' "$results"
