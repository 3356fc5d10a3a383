#!/bin/sh
# deploy/greps.sh - the five greps an operator needs (README, "Five greps an
# operator needs"): prints the extended regular expression of one, for
# grep -E over the JSON log lines (run-local's var/log/*.log, or
# `journalctl -u 'bangdai-*' -o cat`). README shows each pattern as printed
# here, and tests/integration/test_greps.sh runs them on a real run's logs,
# so a renamed event fails there.
#
# Usage: greps.sh case CASE_NO   every line of one case, in all five daemons and the agents
#        greps.sh refusals       messages refused, and keys refused what their role may not do
#        greps.sh overdue        overdue reminders, escalations, handovers and rectifications late
#        greps.sh disconnects    agents losing and regaining the router, and stopping
#        greps.sh backlog        links down and up, outbox rows waiting at start, batches rolled back
#        greps.sh --list         the names above
set -eu
case ${1:-} in
  case)
    [ $# = 2 ] || { echo "usage: greps.sh case CASE_NO" >&2; exit 2; }
    case $2 in BD-*) ;; *) echo "greps.sh: '$2' is not a case number (BD-...)" >&2; exit 2 ;; esac
    printf '"case":"%s"\n' "$2" ;;
  refusals) echo '"event":"(message\.refused|relay\.refused|message\.forbidden|agent\.forbidden|rectify\.forbidden)"' ;;
  overdue) echo '"event":"(reminder\.sent"[^}]*"detail":"overdue |reminder\.escalated|handover\.overdue|rectify\.escalated)' ;;
  disconnects) echo '"event":"agent\.(disconnected|connected|stopping)"' ;;
  backlog) echo '"event":"(link\.disconnected|link\.connected|service\.started|batch\.rolled_back)"' ;;
  --list) echo case refusals overdue disconnects backlog ;;
  *) echo "usage: greps.sh case CASE_NO | refusals | overdue | disconnects | backlog | --list" >&2; exit 2 ;;
esac
