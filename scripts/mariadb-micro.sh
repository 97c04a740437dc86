#!/usr/bin/env bash
# mariadb-micro.sh - throwaway MariaDB server without systemd, in its own directory, on 127.0.0.1.
#
# Tested on Debian 12 (bookworm), mariadb-server 1:10.11.19-0+deb12u1 from Debian's packages, as root.
#
# Usage:
#   mariadb-micro.sh [start]   initialise $DIR if empty (db + user), else just start the server; prints env
#   mariadb-micro.sh stop      stop the server (SIGTERM by pid file = clean InnoDB shutdown); data kept
#   mariadb-micro.sh status
#   mariadb-micro.sh env       print the export lines only
#   mariadb-micro.sh destroy   stop, then rm -rf $DIR
#   mariadb-micro.sh install   apt-get install mariadb-server (needs apt-get update first)
#
# Settings (environment):
#   MARIADB_MICRO_DIR       (default /tmp/mariadb)
#   MARIADB_MICRO_PORT      (default 3307; listens on 127.0.0.1 only)
#   MARIADB_MICRO_DB        (default rbdbackup)
#   MARIADB_MICRO_USER      (default rbdbackup)
#   MARIADB_MICRO_PASSWORD  (default rbdbackup-pw)
set -euo pipefail

DIR=${MARIADB_MICRO_DIR:-/tmp/mariadb}
PORT=${MARIADB_MICRO_PORT:-3307}
DB=${MARIADB_MICRO_DB:-rbdbackup}
USER_NAME=${MARIADB_MICRO_USER:-rbdbackup}
PASSWORD=${MARIADB_MICRO_PASSWORD:-rbdbackup-pw}
CNF=$DIR/my.cnf
SOCK=$DIR/mysqld.sock
PIDFILE=$DIR/mariadbd.pid

log() { printf '[mariadb-micro %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
alive() { [ -e /proc/"$1" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status 2>/dev/null; }
server_pid() {
  local p
  [ -f "$PIDFILE" ] || return 1
  p=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$p" ] && alive "$p" && tr '\0' ' ' </proc/"$p"/cmdline | grep -q mariadbd || return 1
  echo "$p"
}
# root over the unix socket (unix_socket auth, no password)
sql_root() { mariadb --defaults-file="$CNF" "$@"; }

print_env() {
  cat <<EOF
export MARIADB_HOST=127.0.0.1
export MARIADB_PORT=$PORT
export MARIADB_DATABASE=$DB
export MARIADB_USER=$USER_NAME
export MARIADB_PASSWORD=$PASSWORD
export MARIADB_SOCKET=$SOCK
# connection string: Server=127.0.0.1;Port=$PORT;Database=$DB;User ID=$USER_NAME;Password=$PASSWORD
# cli (TCP)        : mariadb -h127.0.0.1 -P$PORT -u$USER_NAME -p$PASSWORD $DB
# cli (root,socket): mariadb --defaults-file=$CNF
EOF
}

write_cnf() {
  # --no-defaults style: only this file is read, /etc/mysql/* is ignored
  cat >"$CNF" <<EOF
[mysqld]
datadir = $DIR/data
socket = $SOCK
port = $PORT
bind-address = 127.0.0.1
pid-file = $PIDFILE
log-error = $DIR/error.log
# running as root needs this (else: "Please consult the MariaDB Documentation to find out how to run mariadbd as root!")
user = root
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
innodb-buffer-pool-size = 64M
innodb-log-file-size = 16M

[client]
socket = $SOCK
user = root
EOF
}

start_server() {
  local t0 p i
  t0=$(now)
  if p=$(server_pid); then log "mariadbd already running (pid $p)"; return 0; fi
  if ss -Hltn "sport = :$PORT" | grep -q .; then die "port $PORT already in use: $(ss -Hltnp "sport = :$PORT")"; fi
  rm -f "$SOCK" "$PIDFILE"
  setsid mariadbd --defaults-file="$CNF" </dev/null >>"$DIR/stdout.log" 2>&1 &
  for i in $(seq 1 300); do
    if mariadb-admin --defaults-file="$CNF" ping >/dev/null 2>&1; then
      log "mariadbd ready after $(since "$t0")s (pid $(cat "$PIDFILE"))"
      return 0
    fi
    sleep 0.1
  done
  tail -20 "$DIR/error.log" >&2 || true
  die "mariadbd did not answer ping within 30s"
}

cmd_start() {
  local t0; t0=$(now)
  command -v mariadbd >/dev/null || die "mariadbd not installed (run: apt-get update && $0 install)"
  if server_pid >/dev/null; then log "mariadbd already running (pid $(server_pid))"; print_env; return 0; fi
  if ss -Hltn "sport = :$PORT" | grep -q .; then die "port $PORT already in use: $(ss -Hltnp "sport = :$PORT")"; fi
  if [ -d "$DIR/data/mysql" ]; then
    [ -f "$CNF" ] || die "$DIR/data exists but $CNF is missing; run $0 destroy"
    start_server
  else
    mkdir -p "$DIR"
    write_cnf
    mariadb-install-db --defaults-file="$CNF" --auth-root-authentication-method=socket \
      --skip-test-db >"$DIR/install-db.log" 2>&1 || { cat "$DIR/install-db.log" >&2; die "mariadb-install-db failed"; }
    log "mariadb-install-db done after $(since "$t0")s"
    start_server
    sql_root <<EOF
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB\`.* TO '$USER_NAME'@'%';
GRANT ALL PRIVILEGES ON \`cbtest%\`.* TO '$USER_NAME'@'%';
EOF
    mariadb --no-defaults -h127.0.0.1 -P"$PORT" -u"$USER_NAME" -p"$PASSWORD" "$DB" -e 'SELECT 1' >/dev/null \
      || die "TCP login as $USER_NAME failed"
    log "database '$DB' + user '$USER_NAME' ready over TCP after $(since "$t0")s"
  fi
  print_env
}

cmd_stop() {
  local p i
  p=$(server_pid) || { log "mariadbd not running"; return 0; }
  kill -TERM "$p"
  for i in $(seq 1 600); do alive "$p" || { log "stopped mariadbd (pid $p)"; return 0; }; sleep 0.1; done
  log "mariadbd (pid $p) still alive after 60s, sending SIGKILL"
  kill -KILL "$p" 2>/dev/null || true
}

cmd_status() {
  local p
  if p=$(server_pid); then
    echo "mariadbd running pid=$p rss_kib=$(awk '/VmRSS/{print $2}' /proc/"$p"/status)"
    sql_root -e 'SELECT @@version, @@port, @@bind_address, @@character_set_server, @@datadir'
  else
    echo "mariadbd not running"
  fi
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  destroy) cmd_stop; rm -rf "${DIR:?}"; log "removed $DIR" ;;
  install) DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server ;;
  *) echo "usage: $0 [start|stop|status|env|destroy|install]" >&2; exit 2 ;;
esac
