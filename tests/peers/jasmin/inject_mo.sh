#!/usr/bin/env bash
# Inject an MO towards the ESME bound to Jasmin as "smartchat" (started by start.sh).
# usage: tests/peers/jasmin/inject_mo.sh MO_SOURCE MO_DEST TEXT
# How: Jasmin's HTTP API /send (user smartchat) -> MT route -> smppc(upstream) -> smsc_sim,
# which answers every "echo ..." text with an MO deliver_sm (source/dest swapped) ->
# Jasmin MO DefaultRoute -> smpps(smartchat). The ESME receives a deliver_sm (esm_class 0)
# from MO_SOURCE to MO_DEST with short_message "MO reply: TEXT". Jasmin retries the
# delivery every 2 s, 30 times, while no "smartchat" session is bound.
# Prints Jasmin's answer (Success "<uuid>") and exits non-zero on anything else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${1:?usage: inject_mo.sh MO_SOURCE MO_DEST TEXT}"; DST="${2:?}"; TEXT="${3:?}"
HTTP_PORT=$(sed -n 's/^HTTP_PORT=//p' "$HERE/run/env" 2>/dev/null || true)
out=$(curl -sS --max-time 10 -G "http://127.0.0.1:${HTTP_PORT:-1401}/send" \
  --data-urlencode username=smartchat --data-urlencode password=secret \
  --data-urlencode "to=$SRC" --data-urlencode "from=$DST" --data-urlencode "content=echo $TEXT")
echo "$out"
[[ "$out" == Success* ]]
