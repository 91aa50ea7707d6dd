#!/usr/bin/env bash
# Stop what tests/peers/jasmin/start.sh started, by the ids it recorded in run/pids.
# Each recorded pid leads its own process group (setsid), so the signal goes to that group
# only (the service and anything it spawned, e.g. rabbitmq's beam). TERM, then KILL after
# JASMIN_STOP_GRACE seconds (default 10). Bounded; safe to run twice.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIDS="$HERE/run/pids"
GRACE="${JASMIN_STOP_GRACE:-10}"
[ -s "$PIDS" ] || { echo "[jasmin stop] nothing recorded in $PIDS"; exit 0; }

# a live, non-zombie process in group $1 (an exited leader may linger as a zombie until the
# init process reaps it)
alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'; }
# stop in reverse start order: jasmind first (clean unbinds), the brokers last
mapfile -t lines < <(tac "$PIDS")
for l in "${lines[@]}"; do
  name=${l% *}; pid=${l##* }
  [[ "$pid" =~ ^[0-9]+$ ]] || continue
  if alive "$pid"; then
    t0=$(date +%s%N)
    kill -TERM -- "-$pid" 2>/dev/null
    end=$(( $(date +%s) + GRACE ))
    while alive "$pid" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    if alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null; echo "[jasmin stop] $name ($pid) killed after ${GRACE}s"
    else echo "[jasmin stop] $name ($pid) stopped in $(( ($(date +%s%N) - t0) / 1000000 ))ms"; fi
  fi
done
if [ -f "$HERE/run/env" ]; then
  D=$(sed -n 's/^JASMIN_DIR=//p' "$HERE/run/env")
  [ -f "$D/log/smsc_sim.out" ] && grep -h 'smsc_sim stats' "$D/log/smsc_sim.out" || true
fi
: > "$PIDS"
