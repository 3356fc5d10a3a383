#!/usr/bin/env bash
# sd_notify under a Type=notify unit, without systemd: each process is
# started with NOTIFY_SOCKET naming a Unix datagram socket that a small
# Python receiver reads. A daemon sends READY=1 only after it logged
# service.started (its database, keys and sockets up) and not while it is
# still waiting for the database; WATCHDOG=1 from its loop when
# WATCHDOG_USEC is set; STOPPING=1 on SIGTERM. The department agent sends
# READY=1 and STOPPING=1 too.
. "$(dirname "$0")/lib.sh"

RECEIVERS=()
stop_receivers() { local rc=$?; for p in "${RECEIVERS[@]}"; do kill "$p" 2>/dev/null || true; done; (exit $rc); cleanup; }
trap stop_receivers EXIT

# receiver NAME LOG: reads $T/NAME.sock; each notification line goes to
# $T/NAME.notify followed by "after" when LOG already held service.started
# or agent.started at that moment, else "before".
receiver() {
  /usr/bin/python3 - "$T/$1.sock" "$T/$1.notify" "$2" <<'PY' &
import os, socket, sys
sock, out, log = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
while True:
    data = s.recv(4096).decode()
    text = open(log).read() if os.path.exists(log) else ""
    seen = "after" if ('"event":"service.started"' in text or '"event":"agent.started"' in text) else "before"
    with open(out, "a") as f:
        for line in data.split("\n"):
            if line:
                f.write("%s %s\n" % (line, seen))
PY
  RECEIVERS+=($!)
  wait_for "the $1 receiver" test -S "$T/$1.sock"
}
notified() { grep -q "^$2 " "$T/$1.notify" 2>/dev/null; }

# ---- ready once the database is there, not before ---------------------------
receiver router "$T/router.log"
# No database yet: the daemon retries (db.connect_retry) and says nothing.
start router NOTIFY_SOCKET="$T/router.sock" WATCHDOG_USEC=200000 PGPORT=1
wait_for "router waiting for the database" logged_at_least 1 "$T/router.log" '"event":"db.connect_retry"'
# A negative check: nothing to synchronise on, so a short grace for a
# wrongly early READY=1 to arrive.
sleep 0.3
! notified router READY=1 || fail "router said READY=1 before it had its database: $(cat "$T/router.notify")"
kill9 router
rm -f "$T/router.log" "$T/router.notify"

start router NOTIFY_SOCKET="$T/router.sock" WATCHDOG_USEC=200000
wait_for "READY=1 from the router" notified router READY=1
grep -q '^READY=1 after$' "$T/router.notify" \
  || fail "READY=1 came before service.started: $(cat "$T/router.notify")"
[ "$(grep -c '"event":"service.started"' "$T/router.log")" = 1 ] || fail "router did not log service.started once"
wait_for "two WATCHDOG=1 from the router's loop" sh -c "[ \$(grep -c '^WATCHDOG=1 ' '$T/router.notify') -ge 2 ]"
! notified router STOPPING=1 || fail "STOPPING=1 before SIGTERM"
stop router
wait_for "STOPPING=1 from the router" notified router STOPPING=1

# ---- the department agent -----------------------------------------------------
receiver fgw "$T/dept-fgw.log"
NOTIFY_SOCKET="$T/fgw.sock" agent fgw
wait_for "READY=1 from the fgw agent" notified fgw READY=1
grep -q '^READY=1 after$' "$T/fgw.notify" || fail "the agent's READY=1 came before agent.started: $(cat "$T/fgw.notify")"
stop dept-fgw
wait_for "STOPPING=1 from the fgw agent" notified fgw STOPPING=1
note "ok"
