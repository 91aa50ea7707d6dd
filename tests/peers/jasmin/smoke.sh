#!/usr/bin/env bash
# End-to-end check of the Jasmin peer with an independent ESME (smpplib 2.2.4):
#   start.sh -> esme_client.py (bind_transceiver, N submit_sm with registered_delivery=1,
#   expects N submit_sm_resp + N DLRs + an MO for every "echo " text) -> an MO injected
#   through Jasmin's HTTP API while nobody is bound, then received after binding -> stop.sh.
# usage: tests/peers/jasmin/smoke.sh [PORT_SMPP=2785] [N=5]      (bounded: ~30 s)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
PORT="${1:-2785}"; N="${2:-5}"
PY="${SMPPLIB_PYTHON:-python3}"
"$PY" -c 'import smpplib' 2>/dev/null || { echo "smoke: $PY lacks smpplib (pip install -r tests/peers/requirements.txt)"; exit 1; }
trap '"$HERE/stop.sh"' EXIT
"$HERE/start.sh" "$PORT"
timeout 90 "$PY" "$REPO/crates/esme/tests/peers/esme_client.py" --host 127.0.0.1 --port "$PORT" \
  --system-id smartchat --password secret -n "$N" --timeout 60
"$HERE/inject_mo.sh" 4915100000001 491510000099 "smoke $$"
timeout 30 "$PY" - "$PORT" "MO reply: smoke $$" <<'EOF'
import sys, time, smpplib.client
port, want = int(sys.argv[1]), sys.argv[2].encode()
got = []
c = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True, timeout=5)
c.set_message_received_handler(lambda pdu: got.append(pdu.short_message) or 0)
c.connect(); c.bind_transceiver(system_id="smartchat", password="secret")
c._socket.settimeout(0.5); end = time.time() + 20
while time.time() < end and want not in got:
    try: c.read_once()
    except (TimeoutError, OSError): pass
c._socket.settimeout(5); c.unbind(); c.disconnect()
print("injected MO received:", want in got, got)
sys.exit(0 if want in got else 1)
EOF
echo "jasmin smoke: ok"
