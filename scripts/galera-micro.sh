#!/usr/bin/env bash
# galera-micro.sh - cephbackup's test Galera cluster (the fleet tests: leases across nodes). Adapted from the
# tested recipe in the shared reference (galera.md): own directory, own ports (never the single test server's
# 3307), the same user/password as scripts/mariadb-micro.sh, and the right to create cbtest% databases.
#
# A throwaway THREE-node MariaDB Galera cluster on 127.0.0.1, without systemd, in its own
# directory: three mariadbd (one datadir, socket, pid file and my.cnf each), Galera 4 replication between them,
# node 1 bootstrapped with --wsrep-new-cluster, nodes 2 and 3 joining by SST (rsync), a restarted node catching
# up by IST.
#
# Tested on Debian 12 (bookworm), as root: mariadb-server 1:10.11.19-0+deb12u1, galera-4 26.4.23-0+deb12u1,
# rsync 3.5.0 (wsrep_sst_rsync also needs ps, ss or lsof: procps, iproute2). See docs/SCALING.md.
#
# Usage:
#   galera-micro.sh [start]     first time: initialise node 1, bootstrap it, create db + user, join 2 and 3 by SST.
#                               later: start the nodes that are not running (a running node is left alone); when
#                               none runs, the one that may bootstrap (grastate safe_to_bootstrap, else the highest
#                               recovered seqno) starts the cluster and the others join (IST). Prints env.
#   galera-micro.sh start N     start (join) node N only; another node must be running
#   galera-micro.sh stop [N]    stop node N, or all (3, 2, then 1: node 1 is the last one, safe to bootstrap); data kept
#   galera-micro.sh status      per node: pid, wsrep_cluster_size, state, cluster status
#   galera-micro.sh env         print the export lines only
#   galera-micro.sh destroy     stop, then rm -rf $DIR
#   galera-micro.sh install     apt-get install mariadb-server galera-4 rsync (needs apt-get update first)
#
# Settings (environment):
#   GALERA_MICRO_DIR        (default /tmp/cephbackup-galera)
#   GALERA_MICRO_BASE_PORT  (default 3461; the recipe's 3421 is left to anyone trying it by hand). Node N (1..3)
#                           uses, all on 127.0.0.1:
#                             SQL     BASE+N-1             (3461 3462 3463)
#                             gmcast  BASE+10+3(N-1)       (3471 3474 3477)   Galera group communication
#                             IST     gmcast+1             (3472 3475 3478)   ist.recv_addr
#                             SST     gmcast+2             (3473 3476 3479)   wsrep_sst_receive_address
#                           i.e. BASE..BASE+18: two clusters coexist when their base ports are >= 20 apart.
#   GALERA_MICRO_DB         (default rbdbackup)
#   GALERA_MICRO_USER       (default rbdbackup; may also create and use cbtest% databases, like the single server)
#   GALERA_MICRO_PASSWORD   (default rbdbackup-pw)
#   GALERA_MICRO_SST        (default rsync; only rsync was tested; mariabackup would need mariadb-backup + wsrep_sst_auth)
#   GALERA_MICRO_OS_USER    (default mysql) the user mariadbd runs as; must not be root with the rsync SST
#   GALERA_MICRO_TIMEOUT    seconds to wait for one node to be Synced (default 120)
set -euo pipefail

DIR=${GALERA_MICRO_DIR:-/tmp/cephbackup-galera}
BASE=${GALERA_MICRO_BASE_PORT:-3461}
DB=${GALERA_MICRO_DB:-rbdbackup}
USER_NAME=${GALERA_MICRO_USER:-rbdbackup}
PASSWORD=${GALERA_MICRO_PASSWORD:-rbdbackup-pw}
SST=${GALERA_MICRO_SST:-rsync}
OS_USER=${GALERA_MICRO_OS_USER:-mysql}
WAIT_S=${GALERA_MICRO_TIMEOUT:-120}
PROVIDER=/usr/lib/galera/libgalera_smm.so
NODES="1 2 3"

log() { printf '[galera-micro %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
alive() { [ -e /proc/"$1" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status 2>/dev/null; }

sql_port() { echo $((BASE + $1 - 1)); }
gm_port() { echo $((BASE + 10 + ($1 - 1) * 3)); }
ist_port() { echo $((BASE + 11 + ($1 - 1) * 3)); }
sst_port() { echo $((BASE + 12 + ($1 - 1) * 3)); }
ndir() { echo "$DIR/node$1"; }
cnf() { echo "$DIR/node$1/my.cnf"; }
pidfile() { echo "$DIR/node$1/mariadbd.pid"; }
node_pid() {
  local p f
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  p=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$p" ] && alive "$p" && tr '\0' ' ' </proc/"$p"/cmdline | grep -q "mariadbd.*$(cnf "$1")" || return 1
  echo "$p"
}
# root over node N's unix socket (unix_socket auth, no password)
sql_root() { local n=$1; shift; mariadb --defaults-file="$(cnf "$n")" "$@"; }
wsrep_var() { sql_root "$1" -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }
port_taken() { ss -Hltn "sport = :$1" | grep -q .; }

print_env() {
  cat <<EOF
export GALERA_HOST=127.0.0.1
export GALERA_PORTS="$(sql_port 1) $(sql_port 2) $(sql_port 3)"
export GALERA_DATABASE=$DB
export GALERA_USER=$USER_NAME
export GALERA_PASSWORD=$PASSWORD
export GALERA_MICRO_DIR=$DIR
export GALERA_MICRO_BASE_PORT=$BASE
# connection string (node N): Server=127.0.0.1;Port=<$(sql_port 1)|$(sql_port 2)|$(sql_port 3)>;Database=$DB;User ID=$USER_NAME;Password=$PASSWORD
# cli (TCP, node 1)         : mariadb -h127.0.0.1 -P$(sql_port 1) -u$USER_NAME -p$PASSWORD $DB
# cli (root, socket, node N): mariadb --defaults-file=$DIR/nodeN/my.cnf
EOF
}

write_cnf() {
  local n=$1 d
  d=$(ndir "$n")
  mkdir -p "$d/data" "$d/tmp"
  # only this file is read (--defaults-file), /etc/mysql/* is ignored; the SST script gets it too
  cat >"$(cnf "$n")" <<EOF
[mysqld]
datadir = $d/data
tmpdir = $d/tmp
socket = $d/mysqld.sock
port = $(sql_port "$n")
bind-address = 127.0.0.1
pid-file = $d/mariadbd.pid
log-error = $d/error.log
# NOT root: the rsync SST starts an rsync daemon on the joiner with mariadbd's uid, and an rsync daemon started
# as root switches to 'nobody' (rsyncd.conf default), which cannot write the datadir: the donor's rsync fails
# with "mkdir ... Permission denied (13)", code 23, and the joiner aborts with "Unknown error 255"
user = $OS_USER
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
innodb-buffer-pool-size = 64M
innodb-log-file-size = 16M
# Galera requirements
binlog-format = ROW
default-storage-engine = InnoDB
innodb-autoinc-lock-mode = 2
wsrep-on = ON
wsrep-provider = $PROVIDER
wsrep-cluster-name = galera-micro-$BASE
wsrep-cluster-address = gcomm://127.0.0.1:$(gm_port 1),127.0.0.1:$(gm_port 2),127.0.0.1:$(gm_port 3)
wsrep-node-name = node$n
wsrep-node-address = 127.0.0.1:$(gm_port "$n")
wsrep-node-incoming-address = 127.0.0.1:$(sql_port "$n")
wsrep-provider-options = "gmcast.listen_addr=tcp://127.0.0.1:$(gm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=64M"
wsrep-sst-method = $SST
wsrep-sst-receive-address = 127.0.0.1:$(sst_port "$n")
wsrep-slave-threads = 2

[client]
socket = $d/mysqld.sock
user = root

EOF
  chown -R "$OS_USER:" "$d"
}

check_ports() {
  local n=$1 p
  for p in "$(sql_port "$n")" "$(gm_port "$n")" "$(ist_port "$n")" "$(sst_port "$n")"; do
    if port_taken "$p"; then die "node $n: port $p already in use: $(ss -Hltnp "sport = :$p")"; fi
  done
}

# grastate FIELD N : a field of node N's grastate.dat (seqno, safe_to_bootstrap, uuid)
grastate() { sed -n "s/^$1:[[:space:]]*//p" "$(ndir "$2")/data/grastate.dat" 2>/dev/null | head -1; }

# recover_pos N : after a crash (grastate seqno -1), the position InnoDB holds, as uuid:seqno (what systemd's
# galera_recovery does before each start); empty when nothing could be recovered
recover_pos() {
  local n=$1 d pos
  d=$(ndir "$n")
  mariadbd --defaults-file="$(cnf "$n")" --wsrep-recover --log-error="$d/recover.log" </dev/null >/dev/null 2>&1 || true
  pos=$(grep -a 'WSREP: Recovered position:' "$d/recover.log" 2>/dev/null | tail -1 | sed 's/.*Recovered position:[[:space:]]*//')
  rm -f "$d/recover.log"
  echo "$pos"
}

# launch N [--wsrep-new-cluster] : starts mariadbd of node N detached (own session, every fd above 2 closed)
launch() {
  local n=$1 d pos extra=()
  shift
  d=$(ndir "$n")
  if [ -f "$d/data/grastate.dat" ] && [ "$(grastate seqno "$n")" = "-1" ]; then
    pos=$(recover_pos "$n")
    if [ -n "$pos" ]; then
      log "node $n: crash-recovered position $pos"
      extra+=("--wsrep-start-position=$pos")
    fi
  fi
  rm -f "$d/mysqld.sock" "$(pidfile "$n")"
  # close inherited fds so that the daemons never hold a caller's lock or pipe
  python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
    setsid mariadbd --defaults-file="$(cnf "$n")" "$@" "${extra[@]}" </dev/null >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/launch.pid" # the pid file appears only once the node has joined (after SST)
}

# wait_synced N : until node N answers and says wsrep_ready=ON, Synced
wait_synced() {
  local n=$1 t0 i state ready
  t0=$(now)
  for i in $(seq 1 $((WAIT_S * 5))); do
    if [ $((i % 5)) = 0 ] && ! alive "$(cat "$(ndir "$n")/launch.pid")"; then
      tail -25 "$(ndir "$n")/error.log" >&2 || true
      die "node $n: mariadbd exited (log $(ndir "$n")/error.log)"
    fi
    if mariadb-admin --defaults-file="$(cnf "$n")" ping >/dev/null 2>&1; then
      state=$(wsrep_var "$n" wsrep_local_state_comment)
      ready=$(wsrep_var "$n" wsrep_ready)
      if [ "$state" = Synced ] && [ "$ready" = ON ]; then
        log "node $n: Synced after $(since "$t0")s (pid $(cat "$(pidfile "$n")"), cluster size $(wsrep_var "$n" wsrep_cluster_size))"
        return 0
      fi
    fi
    sleep 0.2
  done
  tail -25 "$(ndir "$n")/error.log" >&2 || true
  die "node $n: not Synced within ${WAIT_S}s (state ${state:-?}, log $(ndir "$n")/error.log)"
}

running_nodes() { local n; for n in $NODES; do node_pid "$n" >/dev/null && echo "$n"; done; return 0; }

# bootstrap_candidate : the node that may start a new cluster from the existing data
bootstrap_candidate() {
  local n best='' bestseq=-2 s pos
  for n in $NODES; do
    [ "$(grastate safe_to_bootstrap "$n")" = 1 ] && { echo "$n"; return 0; }
  done
  # nobody left last (every node crashed, or was killed): the highest seqno wins
  for n in $NODES; do
    s=$(grastate seqno "$n")
    if [ "$s" = "-1" ] || [ -z "$s" ]; then
      pos=$(recover_pos "$n")
      s=${pos##*:}
    fi
    [ -n "$s" ] || s=-1
    log "node $n: seqno $s"
    if [ "$s" -gt "$bestseq" ]; then bestseq=$s best=$n; fi
  done
  [ -n "$best" ] || best=1
  sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$(ndir "$best")/data/grastate.dat"
  log "no node was marked safe_to_bootstrap: node $best (highest seqno $bestseq) bootstraps"
  echo "$best"
}

start_node() { # N [--wsrep-new-cluster]
  local n=$1
  if node_pid "$n" >/dev/null; then log "node $n already running (pid $(node_pid "$n"))"; return 0; fi
  check_ports "$n"
  [ -f "$(cnf "$n")" ] || write_cnf "$n"
  log "node $n: starting${2:+ ($2)} sql $(sql_port "$n") gmcast $(gm_port "$n") ist $(ist_port "$n") sst $(sst_port "$n")"
  launch "$@"
  wait_synced "$n"
}

init_cluster() {
  local t0 n
  t0=$(now)
  for n in $NODES; do check_ports "$n"; done # before anything is created
  mkdir -p "$DIR"
  for n in $NODES; do write_cnf "$n"; done
  # only node 1 is initialised; 2 and 3 start with an empty datadir and receive everything by SST
  mariadb-install-db --defaults-file="$(cnf 1)" --user="$OS_USER" --auth-root-authentication-method=socket --skip-test-db \
    >"$DIR/node1/install-db.log" 2>&1 || { cat "$DIR/node1/install-db.log" >&2; die "mariadb-install-db failed"; }
  log "mariadb-install-db (node 1) done after $(since "$t0")s"
  start_node 1 --wsrep-new-cluster
  sql_root 1 <<EOF
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$USER_NAME'@'%';
GRANT ALL PRIVILEGES ON \`cbtest%\`.* TO '$USER_NAME'@'%';
EOF
  start_node 2
  start_node 3
  for n in $NODES; do
    mariadb --no-defaults -h127.0.0.1 -P"$(sql_port "$n")" -u"$USER_NAME" -p"$PASSWORD" "$DB" -e 'SELECT 1' >/dev/null \
      || die "node $n: TCP login as $USER_NAME failed"
  done
  touch "$DIR/.ready"
  log "cluster of $(wsrep_var 1 wsrep_cluster_size) ready, database '$DB' + user '$USER_NAME' over TCP on $(sql_port 1)/$(sql_port 2)/$(sql_port 3) after $(since "$t0")s"
}

cmd_start() {
  local t0 n first
  t0=$(now)
  command -v mariadbd >/dev/null || die "mariadbd not installed (run: apt-get update && $0 install)"
  [ -f "$PROVIDER" ] || die "$PROVIDER missing (run: apt-get update && $0 install)"
  command -v rsync >/dev/null || [ "$SST" != rsync ] || die "rsync not installed (needed by the rsync SST)"
  id "$OS_USER" >/dev/null 2>&1 || die "no OS user $OS_USER (the mariadb-server package creates mysql)"
  [ "$(id -u "$OS_USER")" != 0 ] || [ "$SST" != rsync ] || die "GALERA_MICRO_OS_USER=root breaks the rsync SST (see my.cnf)"
  if [ -n "${1:-}" ]; then
    case $1 in 1 | 2 | 3) ;; *) die "no node $1 (1, 2 or 3)" ;; esac
    [ -f "$DIR/.ready" ] || die "$DIR is not an initialised cluster; run $0 start first"
    [ -n "$(running_nodes)" ] || die "no node runs: use '$0 start', which bootstraps from the node that may"
    start_node "$1"
    return 0
  fi
  if [ ! -f "$DIR/.ready" ]; then
    [ -z "$(running_nodes)" ] || die "$DIR has running nodes but no .ready; run $0 destroy"
    if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
      [ -f "$DIR/node1/my.cnf" ] || die "$DIR exists, is not empty and is not a galera-micro directory"
      log "$DIR holds a cluster that never got ready: starting it from scratch"
      rm -rf "${DIR:?}/node1" "${DIR:?}/node2" "${DIR:?}/node3"
    fi
    init_cluster
  elif [ -n "$(running_nodes)" ]; then
    for n in $NODES; do start_node "$n"; done
    log "all nodes running after $(since "$t0")s"
  else
    first=$(bootstrap_candidate)
    start_node "$first" --wsrep-new-cluster
    for n in $NODES; do [ "$n" = "$first" ] || start_node "$n"; done
    log "cluster restarted from node $first after $(since "$t0")s"
  fi
  print_env
}

stop_node() {
  local n=$1 p i
  p=$(node_pid "$n") || { log "node $n not running"; return 0; }
  kill -TERM "$p"
  for i in $(seq 1 600); do alive "$p" || { log "stopped node $n (pid $p)"; return 0; }; sleep 0.1; done
  log "node $n (pid $p) still alive after 60s, sending SIGKILL"
  kill -KILL "$p" 2>/dev/null || true
}

cmd_stop() {
  local n
  if [ -n "${1:-}" ]; then stop_node "$1"; return 0; fi
  for n in 3 2 1; do stop_node "$n"; done
}

cmd_status() {
  local n p
  for n in $NODES; do
    if p=$(node_pid "$n"); then
      echo "node$n running pid=$p port=$(sql_port "$n") rss_kib=$(awk '/VmRSS/{print $2}' /proc/"$p"/status)" \
        "wsrep_cluster_size=$(wsrep_var "$n" wsrep_cluster_size) state=$(wsrep_var "$n" wsrep_local_state_comment)" \
        "cluster=$(wsrep_var "$n" wsrep_cluster_status) ready=$(wsrep_var "$n" wsrep_ready)"
    else
      echo "node$n not running port=$(sql_port "$n") seqno=$(grastate seqno "$n") safe_to_bootstrap=$(grastate safe_to_bootstrap "$n")"
    fi
  done
}

case "${1:-start}" in
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  status) cmd_status ;;
  env) print_env ;;
  destroy)
    if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && [ ! -f "$DIR/node1/my.cnf" ]; then die "$DIR is not a galera-micro directory, not removed"; fi
    cmd_stop; rm -rf "${DIR:?}"; log "removed $DIR" ;;
  install) DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server galera-4 rsync ;;
  *) echo "usage: $0 [start [N]|stop [N]|status|env|destroy|install]" >&2; exit 2 ;;
esac
