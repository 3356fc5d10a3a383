#!/usr/bin/env bash
# Acknowledgements are cumulative (issue 7): a consumer answers a producer's
# numbered messages of a batch with one Ack up to its place, so an Ack lost
# on the way back (a ROUTER socket drops what a full pipe cannot take, as it
# did under overload) is made good by the next one, and the producer does
# not resend what was applied. Here the tracker loses its first 8 Acks to
# the router, for the TaskChanged of 10 cases (40 tasks, one message a case:
# Envelope.more): the router resends at most the oldest of them once, and
# every row is acknowledged.
. "$(dirname "$0")/lib.sh"

for d in intake router delivery evaluation; do start $d; done
start tracker BANGDAI_FAULT=lose-acks:8
cases=()
for i in $(seq 10); do cases+=("$(submit "$(fresh_request agency-three-items.yaml)")"); done
wait_for "the tracker holds the 40 tasks" sql_is 40 "SELECT count(*) FROM tracker.deadlines"
wait_for "the router's 10 TaskChanged acknowledged" sql_is 0 \
  "SELECT count(*) FROM router.outbox WHERE dest = 'tracker' AND acked_at IS NULL"
lost=$(grep -c '"event":"service.fault_injected".*lose-acks' "$T/tracker.log" || true)
[ "$lost" = 8 ] || fail "the tracker lost $lost Acks, expected 8: the test proved nothing"
resent=$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'tracker' AND attempts > 1")
[ "$resent" -le 1 ] || fail "$resent TaskChanged were sent again though the tracker had applied them"
[ "$(sql "SELECT count(*) FROM router.outbox WHERE dest = 'tracker'")" = 10 ] || fail "expected 10 rows to the tracker"
# Nothing applied twice: each task's deadline once, in state ASSIGNED.
[ "$(sql "SELECT count(*) FROM tracker.deadlines WHERE state = 'ASSIGNED'")" = 40 ] || fail "deadline states"
note "Acks lost: $lost; TaskChanged sent again: $resent"
for n in "${!PIDS[@]}"; do stop "$n"; done
note "ok"
