#!/usr/bin/env bash
# bangdai-container (deploy/container/entrypoint.sh) - the entry point of the
# bangdai image (deploy/Dockerfile, docker-compose.yml).
#
# Usage: bangdai-container [--dry-run] COMMAND [ARGS...]
#   setup              apply the migrations (bangdaictl migrate) and make every
#                      missing key (bangdaictl keys init); both do nothing the
#                      second time, so the one-shot service may run at every up
#   health NAME        exit 0 when NAME is up: a daemon (intake, router,
#                      tracker, delivery, evaluation) with a metrics address
#                      answers /healthz with 200 (bangdaictl status NAME),
#                      one without has its bound ports listening; dept: the
#                      agent is connected to the router
#   PROGRAM [ARGS...]  run a bangdai program (bangdai-router, bangdai-dept run
#                      --dept fgw --spool DIR, bangdaictl links, ...)
#   --dry-run          write and check the configuration, print the command
#                      lines that would run (one per line) and run nothing
#
# Before any command it writes the configuration for containers to
# $BANGDAI_CONFIG (default /tmp/bangdai/bangdai.yaml), from
# $BANGDAI_CONFIG_SOURCE (default /etc/bangdai/bangdai.yaml, the sample
# county; mount your own there): every endpoint names the compose service
# that binds it (tcp://router:7103), except those the program itself binds,
# which bind every interface of its container (tcp://0.0.0.0:7103); the
# ports stay the file's. The metrics section's addresses likewise: the
# program's own on 0.0.0.0:PORT, the others at their service (router:9102). security.certs_dir becomes $BANGDAI_KEYS (default
# /var/lib/bangdai/keys, a volume). Then it checks the result
# (bangdaictl keys list reads it as every program does) and execs.
set -euo pipefail

SOURCE=${BANGDAI_CONFIG_SOURCE:-/etc/bangdai/bangdai.yaml}
export BANGDAI_CONFIG=${BANGDAI_CONFIG:-/tmp/bangdai/bangdai.yaml}
KEYS=${BANGDAI_KEYS:-/var/lib/bangdai/keys}
export BANGDAI_SQL_DIR=${BANGDAI_SQL_DIR:-/usr/local/share/bangdai/sql}

# Each endpoint of the configuration and the compose service that binds it.
# Checklist for a new endpoint or daemon: this table, bound_by below,
# docker-compose.yml (a service, its health check) and the README.
declare -A HOST=([intake]=intake [feed]=intake [router]=router [router_dept]=router
                 [tracker]=tracker [delivery]=delivery [evaluation]=evaluation)

# The endpoints a program binds: a daemon's own; none for the tools.
bound_by() {
  case "$1" in
    intake) echo "intake feed" ;;
    router) echo "router router_dept" ;;
    tracker|delivery|evaluation) echo "$1" ;;
    *) echo "" ;;
  esac
}

die() { echo "bangdai-container: $*" >&2; exit 1; }

# adapt PROGRAM: writes $BANGDAI_CONFIG for PROGRAM (bangdai-router: router).
adapt() {
  local self=${1#bangdai-} bound ep host d args=()
  bound=" $(bound_by "$self") "
  [ -r "$SOURCE" ] || die "$SOURCE: cannot read the configuration"
  for ep in "${!HOST[@]}"; do
    host=${HOST[$ep]}
    case "$bound" in *" $ep "*) host=0.0.0.0 ;; esac
    args+=(-e "s#^\\(  $ep: *\\)tcp://[^:]*:\\([0-9][0-9]*\\)#\\1tcp://$host:\\2#")
  done
  for d in intake router tracker delivery evaluation; do
    host=$d
    [ "$d" = "$self" ] && host=0.0.0.0
    args+=(-e "s#^\\(  $d: *\\)[^ :/]*:\\([0-9][0-9]*\\) *\$#\\1$host:\\2#")
  done
  args+=(-e "s#^\\(  certs_dir: *\\).*#\\1$KEYS#")
  mkdir -p "$(dirname "$BANGDAI_CONFIG")"
  sed "${args[@]}" "$SOURCE" >"$BANGDAI_CONFIG"
  # A file written in another style (flow mappings, other indentation) would
  # keep its addresses: say so rather than start on 127.0.0.1.
  for ep in "${!HOST[@]}"; do
    grep -qE "^  $ep: *tcp://(${HOST[$ep]}|0\\.0\\.0\\.0):[0-9]+" "$BANGDAI_CONFIG" \
      || die "$SOURCE: endpoints.$ep is not a line '  $ep: tcp://HOST:PORT'"
  done
  grep -q "^  certs_dir: *$KEYS\$" "$BANGDAI_CONFIG" || die "$SOURCE: no security.certs_dir line"
  bangdaictl --config "$BANGDAI_CONFIG" keys list >/dev/null || die "$SOURCE: the configuration is refused (above)"
}

# port ENDPOINT: the port of an endpoint of $BANGDAI_CONFIG.
port() { sed -n "s#^  $1: *tcp://[^:]*:\\([0-9][0-9]*\\).*#\\1#p" "$BANGDAI_CONFIG"; }

# tcp_state STATE PORT FIELD: a socket of this container in STATE (0A
# listening, 01 established) whose local (FIELD 2) or remote (3) port is PORT.
tcp_state() {
  local hex; hex=$(printf '%04X' "$2")
  awk -v st="$1" -v p="$hex" -v f="$3" \
    'FNR > 1 && $4 == st { n = split($f, a, ":"); if (a[n] == p) found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

health() {
  local name=$1 ep p
  case "$name" in
    dept)
      p=$(port router_dept)
      [ $dry = 1 ] && { echo "health: connected to port $p"; return 0; }
      tcp_state 01 "$p" 3 || die "not connected to the router (port $p)" ;;
    intake|router|tracker|delivery|evaluation)
      # With a metrics address the daemon says itself whether its database
      # and sockets are up (/healthz).
      if grep -qE "^  $name: *0\\.0\\.0\\.0:[0-9]+ *\$" "$BANGDAI_CONFIG"; then
        [ $dry = 1 ] && { run bangdaictl status "$name"; return 0; }
        bangdaictl status "$name" >/dev/null || die "$name: /healthz does not answer 200 (bangdaictl status $name)"
        return 0
      fi
      for ep in $(bound_by "$name"); do
        p=$(port "$ep")
        [ $dry = 1 ] && { echo "health: listening on port $p"; continue; }
        tcp_state 0A "$p" 2 || die "$name: nothing listens on port $p ($ep)"
      done ;;
    *) die "health: unknown name '$name' (intake router tracker delivery evaluation dept)" ;;
  esac
}

run() {
  if [ $dry = 1 ]; then printf '%q ' "$@" | sed 's/ $//'; echo; else "$@"; fi
}

dry=0
if [ "${1:-}" = --dry-run ]; then dry=1; shift; fi
case "${1:-}" in
  ""|-h|--help) sed -n '4,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  setup)
    [ $# = 1 ] || die "setup takes no arguments"
    adapt bangdaictl
    run bangdaictl migrate
    run bangdaictl keys init ;;
  health)
    [ $# = 2 ] || die "usage: health NAME"
    # The health check runs in a container already started: its
    # configuration is there (written at its start), unless this is a dry run.
    [ -r "$BANGDAI_CONFIG" ] && [ $dry = 0 ] || adapt "bangdai-$2"
    health "$2" ;;
  bangdai-*|bangdaictl)
    command -v "$1" >/dev/null || die "$1: no such program"
    adapt "$1"
    if [ $dry = 1 ]; then run "$@"; else exec "$@"; fi ;;
  *) die "unknown command '$1' (setup, health NAME or a bangdai program; --help)" ;;
esac
