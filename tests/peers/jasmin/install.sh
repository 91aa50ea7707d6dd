#!/usr/bin/env bash
# Idempotent install of the Jasmin 0.11.0 peer (SMPP server / SMSC side for ESME tests):
#   apt: rabbitmq-server, redis-server (nothing is started: start.sh runs them privately)
#   pip: jasmin==0.11.0 into tests/peers/jasmin/venv, every dependency pinned by
#        constraints.txt (a freeze of a working install on Python 3.11.7)
#   the AMQP 0-9-1 spec jasmind needs (shipped only in the sdist's misc/config/resource)
# Pin 0.11.0: 0.11.1 loses DLRs. Needs Python >= 3.8 (tested: 3.11.7); no extra pins were
# needed beyond jasmin's own (Twisted~=23.10, cryptography~=41.0.5, ...).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$HERE/venv"

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_apt+=(rabbitmq-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101: the packages' postinst must not start services on install
  prc=/usr/sbin/policy-rc.d; made_prc=0
  if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' > "$prc"; chmod +x "$prc"; made_prc=1; fi
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -q "${need_apt[@]}"
  [ "$made_prc" = 1 ] && rm -f "$prc"
fi

if ! "$VENV/bin/python" -c 'import jasmin, sys; sys.exit(0 if jasmin.get_release() == "0.11.0" else 1)' 2>/dev/null; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check -c "$HERE/constraints.txt" jasmin==0.11.0
fi

if [ ! -s "$HERE/resource/amqp0-9-1.xml" ]; then
  tmp=$(mktemp -d)
  timeout 120 "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
    jasmin==0.11.0 -d "$tmp"
  mkdir -p "$HERE/resource"
  tar --no-same-owner -xzf "$tmp"/jasmin-0.11.0.tar.gz -C "$HERE/resource" --strip-components=4 \
    jasmin-0.11.0/misc/config/resource/amqp0-9-1.xml
  rm -rf "$tmp"
fi
"$VENV/bin/python" -c 'import jasmin; print("jasmin", jasmin.get_release())'
redis-server --version | head -1
dpkg-query -W -f='rabbitmq-server ${Version}\n' rabbitmq-server
