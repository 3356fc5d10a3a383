#!/usr/bin/env bash
# An agent says Hello as soon as its connection's handshake has succeeded,
# and again after every reconnect: the router must connect the agent on its
# FIRST Hello (a Hello sent before the handshake is dropped, and the agent
# then waited for the periodic one), and on the Hello that follows the
# handshake of the new connection after the router restarts. The agent logs
# each such Hello with its message id and count (agent.hello), the router
# logs the id of the Hello that connected the agent (agent.connected), and
# the test matches the two; no timing is measured.
. "$(dirname "$0")/lib.sh"

# connected_ids DEPT: the message ids of the Hellos that connected DEPT's
# agent, one per line, oldest first.
connected_ids() {
  grep '"event":"agent.connected"' "$T/router.log" | grep "\"department\":\"$1\"" \
    | sed -n 's/.*"msg":"\([^"]*\)".*/\1/p'
}
# hello_line ID: the agent's log line of the Hello with that id.
hello_line() { grep '"event":"agent.hello"' "$T/dept-fgw.log" | grep "\"msg\":\"$1\"" || true; }

start_all
sed -e "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" \
  "$BANGDAI_ROOT/deploy/examples/agency-three-items.yaml" >"$T/app.yaml"
c=$(submit "$T/app.yaml")
wait_for "the router made fgw's task" sql_is 1 "SELECT count(*) FROM router.tasks WHERE case_no = '$c' AND dept = 'fgw'"
task=$(sql "SELECT task_id FROM router.tasks WHERE case_no = '$c' AND dept = 'fgw'")
[ -n "$task" ] || fail "no task of fgw in $c"
# The task waits for its agent: its TaskAssigned is in the outbox, unsent.
wait_for "fgw's task waiting in the outbox" sql_is 1 \
  "SELECT count(*) FROM router.outbox WHERE dest = 'dept:fgw' AND acked_at IS NULL"
[ "$(sql "SELECT state FROM router.tasks WHERE task_id = '$task'")" = ASSIGNED ] || fail "$task is not ASSIGNED"

# ---- first start: the first Hello connects the agent -------------------------
agent fgw
wait_for "the router connected fgw" sh -c "grep '\"event\":\"agent.connected\"' '$T/router.log' | grep -q '\"department\":\"fgw\"'"
first=$(connected_ids fgw | sed -n 1p)
[ -n "$first" ] || fail "agent.connected names no message id"
line=$(hello_line "$first")
[[ $line == *'"detail":"hello 1 after handshake 1"'* ]] \
  || fail "the router connected fgw on Hello $first, which is not the agent's first Hello after its handshake: '$line'; the agent's Hellos: $(grep agent.hello "$T/dept-fgw.log")"
wait_for "the waiting task RECEIVED" sql_is RECEIVED "SELECT state FROM router.tasks WHERE task_id = '$task'"

# ---- reconnect: the router restarts; the new connection's handshake Hello ----
stop router
wait_for "the agent saw the disconnect" logged_at_least 1 "$T/dept-fgw.log" '"event":"agent.disconnected"'
start router
wait_for "the restarted router connected fgw" sh -c "[ \$(grep '\"event\":\"agent.connected\"' '$T/router.log' | grep -c '\"department\":\"fgw\"') -ge 2 ]"
second=$(connected_ids fgw | sed -n 2p)
line=$(hello_line "$second")
[[ $line == *'after handshake 2"'* ]] \
  || fail "after the reconnect the router connected fgw on Hello $second, not the one the new handshake called for: '$line'"
# A Hello per handshake, not more: two handshakes, two handshake Hellos.
[ "$(grep -c '"event":"agent.hello"' "$T/dept-fgw.log")" = 2 ] \
  || fail "expected two handshake Hellos: $(grep agent.hello "$T/dept-fgw.log")"

for p in "${!PIDS[@]}"; do stop "$p"; done
note "ok"
