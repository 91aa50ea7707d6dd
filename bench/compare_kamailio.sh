#!/usr/bin/env bash
# Side-by-side: the same open-loop MESSAGE workload (loadgen) against smartchat and against the
# incumbent, Kamailio 5.6 (registrar + t_relay, bench/kamailio/kamailio.cfg), in the same run.
# Each target is measured RUNS times at each RATE; the CSV keeps every run, the summary prints
# medians and the smartchat/kamailio ratio. Loopback only; every process is bounded in time.
#
# usage: bench/compare_kamailio.sh [RATES="2000 5000 10000"] [RUNS=3] [DURATION=10] [SHARDS=2]
# needs: apt-get install -y --no-install-recommends kamailio kamailio-presence-modules
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"2000 5000 10000"}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
SHARDS=${SHARDS:-2}
USERS=${USERS:-200}
OUT=${OUT:-bench/results/compare_kamailio.csv}
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-bench} cargo build --release -q -p smartchat -p smartchat-loadgen
BIN=${CARGO_TARGET_DIR:-target-bench}/release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

start_smartchat() {
  rm -rf "$work/sc-data"
  timeout 600 "$BIN/smartchat" serve --sip 127.0.0.1:5062 --http 127.0.0.1:8082 \
    --data "$work/sc-data" --shards "$SHARDS" --no-auth 2>"$work/smartchat.log" &
  SC_PID=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:8082/health >/dev/null && return; sleep 0.1; done
  echo "smartchat did not start"; cat "$work/smartchat.log"; exit 1
}

start_kamailio() {
  rm -rf "$work/dbtext"; mkdir -p "$work/dbtext"
  cp -r /usr/share/kamailio/dbtext/kamailio/. "$work/dbtext/"
  sed -i '1s/callid(string)/callid(string,null)/; 1s/status(int)/status(int,null)/' "$work/dbtext/silo"
  # -m/-M: shared/private memory (MB); the 64 MB default runs out of shm at ~1k MESSAGE/s.
  timeout 600 kamailio -m 1024 -M 64 -f bench/kamailio/kamailio.cfg -DD -E -A "DBURL=\"text://$work/dbtext\"" \
    2>"$work/kamailio.log" &
  KAM_PID=$!
  sleep 2
}

for rate in $RATES; do
  for run in $(seq "$RUNS"); do
    start_smartchat
    "$BIN/loadgen" --target 127.0.0.1:5062 --label smartchat --flows message \
      --rate "$rate" --duration "$DURATION" --users "$USERS" --csv "$OUT"
    kill "$SC_PID"; wait "$SC_PID" 2>/dev/null || true
    start_kamailio
    "$BIN/loadgen" --target 127.0.0.1:5080 --label kamailio --flows message \
      --rate "$rate" --duration "$DURATION" --users "$USERS" --csv "$OUT"
    kill "$KAM_PID"; wait "$KAM_PID" 2>/dev/null || true
  done
done

python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault((int(r["rate"]), r["target"]), []).append(r)
print(f"{'rate':>6} {'target':>10} {'ok/s':>9} {'fail%':>6} {'p50us':>7} {'p99us':>8}")
for rate in sorted({k[0] for k in by}):
    med = {}
    for target in ("smartchat", "kamailio"):
        rs = by.get((rate, target), [])
        if not rs: continue
        ok = statistics.median(float(r["achieved_rate"]) for r in rs)
        fail = statistics.median(100.0 * (int(r["sent"]) - int(r["ok"])) / max(1, int(r["sent"])) for r in rs)
        p50 = statistics.median(int(r["p50_us"]) for r in rs)
        p99 = statistics.median(int(r["p99_us"]) for r in rs)
        med[target] = (ok, p99)
        print(f"{rate:>6} {target:>10} {ok:>9.0f} {fail:>6.2f} {p50:>7} {p99:>8}")
    if len(med) == 2 and med["kamailio"][0] > 0:
        print(f"{rate:>6} {'ratio':>10} throughput smartchat/kamailio = {med['smartchat'][0]/med['kamailio'][0]:.2f}, "
              f"p99 kamailio/smartchat = {med['kamailio'][1]/max(1,med['smartchat'][1]):.2f}")
PY
