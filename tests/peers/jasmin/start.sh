#!/usr/bin/env bash
# Start Jasmin 0.11.0 as an SMPP server (SMSC side) on 127.0.0.1 for smartchat's ESME tests.
#
# usage: tests/peers/jasmin/start.sh PORT_SMPP [UPSTREAM_PORT]
#
# Starts (each under `timeout`, loopback only, state in a private dir under /tmp):
#   redis-server, epmd + rabbitmq-server, the upstream SMSC simulator (node smpp 0.5.1,
#   crates/esme/tests/peers/smsc_sim.js) on UPSTREAM_PORT (default 2776) and jasmind with
#   in-process DLR lookup + DLR thrower. Then configures Jasmin through jCli:
#   group/user smartchat/secret (SMPP server API), smppc connector "upstream" -> the
#   simulator, MT DefaultRoute -> smppc(upstream), MO DefaultRoute -> smpps(smartchat).
# Flow: ESME --submit_sm--> Jasmin smpps --MT route--> smppc(upstream) --> smsc_sim
#       smsc_sim --deliver_sm (DLR / "echo " MO)--> smppc --> DLR lookup / MO route --> ESME
#
# Writes tests/peers/jasmin/run/pids ("name pid" lines; each pid leads its own process
# group) and run/env (ports, dirs). stop.sh stops everything listed there.
#
# env knobs (defaults): JASMIN_SECONDS=900 (hard lifetime of every process),
#   JASMIN_DIR=/tmp/smartchat-jasmin-PORT_SMPP, UPSTREAM_START=1 (0: an SMSC is already
#   listening on UPSTREAM_PORT), REDIS_PORT=6390, AMQP_PORT=5673, EPMD_PORT=4370,
#   DIST_PORT=25673, JCLI_PORT=8990, HTTP_PORT=1401, ROUTER_PB_PORT=8988,
#   SMPPCM_PB_PORT=8989, SMPPS_PB_PORT=14000, SMPPC_THROUGHPUT=0 (0 = unlimited),
#   SMSC_SIM=path/to/smsc_sim.js, DLR_DELAY_MS=50.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
PORT_SMPP="${1:?usage: start.sh PORT_SMPP [UPSTREAM_PORT]}"
UPSTREAM_PORT="${2:-${UPSTREAM_PORT:-2776}}"
UPSTREAM_START="${UPSTREAM_START:-1}"
SECS="${JASMIN_SECONDS:-900}"
D="${JASMIN_DIR:-/tmp/smartchat-jasmin-$PORT_SMPP}"
REDIS_PORT="${REDIS_PORT:-6390}"
AMQP_PORT="${AMQP_PORT:-5673}"
EPMD_PORT="${EPMD_PORT:-4370}"
DIST_PORT="${DIST_PORT:-25673}"
JCLI_PORT="${JCLI_PORT:-8990}"
HTTP_PORT="${HTTP_PORT:-1401}"
ROUTER_PB_PORT="${ROUTER_PB_PORT:-8988}"
SMPPCM_PB_PORT="${SMPPCM_PB_PORT:-8989}"
SMPPS_PB_PORT="${SMPPS_PB_PORT:-14000}"
SMPPC_THROUGHPUT="${SMPPC_THROUGHPUT:-0}"
NODE_MODULES="${NODE_MODULES:-$REPO/tests/peers/node_modules}"
SMSC_SIM="${SMSC_SIM:-$REPO/crates/esme/tests/peers/smsc_sim.js}"
[ -f "$SMSC_SIM" ] || SMSC_SIM=/work/shared/peers/smpp/smsc_sim.js
RUN="$HERE/run"
PIDS="$RUN/pids"
if [ -x "$HERE/venv/bin/python" ]; then PY="$HERE/venv/bin/python"; else PY="$(command -v python3)"; fi
JASMIND="$(dirname "$PY")/jasmind.py"
RESOURCE="$HERE/resource/amqp0-9-1.xml"

T0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }
log() { echo "[jasmin start +$(ms)ms] $*"; }
die() { echo "[jasmin start +$(ms)ms] FAILED: $*" >&2; "$HERE/stop.sh" >/dev/null 2>&1 || true; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds name
  local end=$(( $(date +%s) + $2 ))
  while ! port_open "$1"; do
    [ "$(date +%s)" -lt "$end" ] || die "$3 did not open 127.0.0.1:$1 within $2 s (logs: $D/log)"
    sleep 0.2
  done
}
# setsid: each service leads its own process group, so stop.sh can end it (and whatever it
# spawned) by that one id; timeout bounds its life whatever happens to this script.
spawn() { # name logfile cmd...
  local name="$1" out="$2"; shift 2
  setsid timeout -k 5 "$SECS" "$@" >"$out" 2>&1 < /dev/null &
  echo "$name $!" >> "$PIDS"
  log "started $name (pid $!)"
}

[ -x "$JASMIND" ] || die "jasmind.py not found next to $PY: run tests/peers/jasmin/install.sh"
[ -f "$RESOURCE" ] || die "$RESOURCE missing: run tests/peers/jasmin/install.sh"
command -v redis-server >/dev/null || die "redis-server missing: run install.sh"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || die "rabbitmq-server missing: run install.sh"

# A previous run of ours still up: stop it first (by the pids it recorded).
[ -s "$PIDS" ] && "$HERE/stop.sh" >/dev/null 2>&1 || true
mkdir -p "$RUN"; : > "$PIDS"

ports="$PORT_SMPP $REDIS_PORT $AMQP_PORT $EPMD_PORT $DIST_PORT $JCLI_PORT $HTTP_PORT $ROUTER_PB_PORT $SMPPCM_PB_PORT $SMPPS_PB_PORT"
[ "$UPSTREAM_START" = 1 ] && ports="$ports $UPSTREAM_PORT"
for p in $ports; do port_open "$p" && die "127.0.0.1:$p is already in use"; done

rm -rf "$D"
mkdir -p "$D"/{log,etc/store,redis,rabbit/mnesia,rabbit/log,rabbit/home}
cat > "$RUN/env" <<EOF
JASMIN_DIR=$D
PORT_SMPP=$PORT_SMPP
UPSTREAM_PORT=$UPSTREAM_PORT
REDIS_PORT=$REDIS_PORT
AMQP_PORT=$AMQP_PORT
JCLI_PORT=$JCLI_PORT
HTTP_PORT=$HTTP_PORT
EOF

# --- redis (no persistence, loopback) ---------------------------------------------------
spawn redis "$D/log/redis.out" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$D/redis" \
  --save "" --appendonly no --daemonize no --protected-mode yes --logfile ""

# --- epmd + rabbitmq (loopback, private node/data/cookie) -------------------------------
spawn epmd "$D/log/epmd.out" epmd -address 127.0.0.1 -port "$EPMD_PORT"
printf 'SMARTCHATJASMIN%s' "$PORT_SMPP" > "$D/rabbit/home/.erlang.cookie"
chmod 400 "$D/rabbit/home/.erlang.cookie"
printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users.guest = true\n' "$AMQP_PORT" > "$D/rabbit/rabbitmq.conf"
echo '[].' > "$D/rabbit/enabled_plugins"
wait_port "$EPMD_PORT" 10 epmd
spawn rabbitmq "$D/log/rabbitmq.out" env -C "$D/rabbit" HOME="$D/rabbit/home" \
  RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME="jasmin$PORT_SMPP@localhost" \
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$DIST_PORT" \
  ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT" \
  RABBITMQ_MNESIA_BASE="$D/rabbit/mnesia" RABBITMQ_LOG_BASE="$D/rabbit/log" \
  RABBITMQ_CONFIG_FILE="$D/rabbit/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$D/rabbit/enabled_plugins" \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
  /usr/lib/rabbitmq/bin/rabbitmq-server

# --- upstream SMSC simulator -------------------------------------------------------------
if [ "$UPSTREAM_START" = 1 ]; then
  spawn smsc_sim "$D/log/smsc_sim.out" env NODE_PATH="$NODE_MODULES" PORT="$UPSTREAM_PORT" HOST=127.0.0.1 \
    SECONDS="$SECS" DLR_DELAY_MS="${DLR_DELAY_MS:-50}" node "$SMSC_SIM"
fi

# --- jasmind ------------------------------------------------------------------------------
cat > "$D/etc/jasmin.cfg" <<EOF
[smpp-server]
id = smpps_01
bind = 127.0.0.1
port = $PORT_SMPP
log_level = ${JASMIN_LOG_LEVEL:-INFO}
log_file = $D/log/default-smpps_01.log
[smpp-server-pb]
bind = 127.0.0.1
port = $SMPPS_PB_PORT
log_file = $D/log/smpp-server-pb.log
[client-management]
bind = 127.0.0.1
port = $SMPPCM_PB_PORT
log_file = $D/log/smppclient-manager.log
[service-smppclient]
log_file = $D/log/service-smppclient.log
[sm-listener]
log_file = $D/log/messages.log
[dlr]
dlr_lookup_retry_delay = 1
dlr_lookup_max_retries = 5
log_file = $D/log/dlr.log
[amqp-broker]
host = 127.0.0.1
port = $AMQP_PORT
spec = $RESOURCE
log_file = $D/log/amqp-client.log
[http-api]
bind = 127.0.0.1
port = $HTTP_PORT
log_file = $D/log/http-api.log
access_log = $D/log/http-accesslog.log
[router]
bind = 127.0.0.1
port = $ROUTER_PB_PORT
log_file = $D/log/router.log
[deliversm-thrower]
retry_delay = 2
max_retries = 30
log_file = $D/log/deliversm-thrower.log
[dlr-thrower]
retry_delay = 2
max_retries = 30
log_file = $D/log/dlr-thrower.log
[redis-client]
host = 127.0.0.1
port = $REDIS_PORT
log_file = $D/log/redis-client.log
[jcli]
bind = 127.0.0.1
port = $JCLI_PORT
authentication = False
log_file = $D/log/jcli.log
[interceptor-client]
host = 127.0.0.1
EOF

wait_port "$REDIS_PORT" 15 redis
wait_port "$AMQP_PORT" 60 rabbitmq
log "redis + rabbitmq up"
spawn jasmind "$D/log/jasmind.out" env -C "$D" CONFIG_PATH="$D/etc/" STORE_PATH="$D/etc/store/" \
  LOG_PATH="$D/log" RESOURCE_PATH="$(dirname "$RESOURCE")/" \
  "$PY" "$JASMIND" -c "$D/etc/jasmin.cfg" --enable-dlr-lookup --enable-dlr-thrower
wait_port "$JCLI_PORT" 30 "jasmind jCli"
[ "$UPSTREAM_START" = 1 ] && wait_port "$UPSTREAM_PORT" 15 smsc_sim
log "jasmind up; configuring through jCli"

# --- jCli configuration -------------------------------------------------------------------
timeout 60 "$PY" "$HERE/jcli.py" --port "$JCLI_PORT" --timeout 20 > "$D/log/jcli-setup.out" 2>&1 <<EOF || { cat "$D/log/jcli-setup.out" >&2; die "jCli configuration"; }
group -a
gid smartchat
ok
user -a
username smartchat
password secret
gid smartchat
uid smartchat
ok
smppccm -a
cid upstream
host 127.0.0.1
port $UPSTREAM_PORT
username jasmin
password jasmin
bind transceiver
submit_throughput $SMPPC_THROUGHPUT
con_fail_delay 1
con_loss_delay 1
requeue_delay 2
logfile $D/log/smppc-upstream.log
ok
smppccm -1 upstream
mtrouter -a
type DefaultRoute
connector smppc(upstream)
rate 0.00
ok
morouter -a
type DefaultRoute
connector smpps(smartchat)
ok
persist
EOF

# wait until the upstream connector is bound, then for the SMPP server port
end=$(( $(date +%s) + 30 ))
until timeout 15 "$PY" "$HERE/jcli.py" --port "$JCLI_PORT" <<< 'smppccm -l' 2>/dev/null | grep -q 'BOUND_TRX'; do
  [ "$(date +%s)" -lt "$end" ] || die "smppc connector 'upstream' not bound to 127.0.0.1:$UPSTREAM_PORT within 30 s"
  sleep 0.5
done
wait_port "$PORT_SMPP" 10 "Jasmin SMPP server"
log "ready: SMPP server 127.0.0.1:$PORT_SMPP (smartchat/secret), upstream 127.0.0.1:$UPSTREAM_PORT, logs $D/log, pids $PIDS"
