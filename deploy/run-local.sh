#!/usr/bin/env bash
# deploy/run-local.sh - bangdai on this machine, end to end:
# installs what is missing, builds, starts a private PostgreSQL under ./var,
# applies the migrations, makes the CURVE keys the configuration lists
# (./var/keys, once), starts the five daemons and one agent per
# department on the sample county configuration, submits the sample
# applications in deploy/examples/, drives every task to its result, prints
# the status of each case and where the logs are, then keeps everything up
# until Ctrl-C. With --once it stops right after the sample flow.
set -euo pipefail
BANGDAI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$BANGDAI_ROOT/deploy/lib.sh"
# The configuration's paths (security.certs_dir: var/keys) are relative to
# the working directory: the top of the repository.
cd "$BANGDAI_ROOT"

once=0
case "${1:-}" in
  --once) once=1 ;;
  "") ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--once]" >&2; exit 2 ;;
esac

VAR="$BANGDAI_ROOT/var"
BIN="$BANGDAI_ROOT/build/services"
CONFIG="$BANGDAI_ROOT/deploy/config/dianjiang.yaml"
export BANGDAI_CONFIG="$CONFIG"
mkdir -p "$VAR/log" "$VAR/spool"

bd_install_deps
echo "building into build/"
bd_build "$BANGDAI_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

export PGPORT=${PGPORT:-5432}
bd_pg_start "$VAR/pg"
bd_createdb bangdai
"$BIN/bangdaictl" migrate
# Every key of security.keys that var/keys lacks: a keypair per daemon, the
# hall, hall management and each department (secrets mode 0600). Kept
# across runs; remove var/keys to make new ones.
bd_keys_init "$BIN/bangdaictl"

pids=()
stop_all() {
  trap - EXIT INT TERM
  echo "stopping bangdai"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  bd_pg_stop "$VAR/pg"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

for d in intake router tracker delivery evaluation; do
  "$BIN/bangdai-$d" >>"$VAR/log/$d.log" 2>&1 &
  pids+=($!)
done
depts=$(sed -n 's/^  - code: \([a-z0-9_-]*\)$/\1/p' "$CONFIG" | sort -u)
for d in $depts; do
  grep -q "^  - code: $d$" <(sed -n '/^departments:/,/^items:/p' "$CONFIG") || continue
  "$BIN/bangdai-dept" run --dept "$d" --spool "$VAR/spool/$d" >>"$VAR/log/dept-$d.log" 2>&1 &
  pids+=($!)
done

# The tasks of a case as "TASK KIND DEPT STATE" lines, from bangdai-hall
# status (columns TASK KIND ITEM DEPT SPECIALIST STATE DUE RESULT).
tasks_of() {
  "$BIN/bangdai-hall" status "$1" 2>/dev/null | awk '/^TASK/{t=1;next} /^LOG/{t=0} t && $1 ~ /^BD-/ {print $1, $2, $4, $6}'
}

# Waits until every task of CASE is in a state matching the pattern, for up
# to 30 s.
wait_tasks() {
  local case_no=$1 pattern=$2 i out
  for i in $(seq 300); do
    out=$(tasks_of "$case_no")
    if [ -n "$out" ] && ! echo "$out" | awk '{print $4}' | grep -vqE "$pattern"; then
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for $case_no to reach $pattern" >&2
  return 1
}

cases=()
# Each run submits the samples as new applications: a fresh request id each
# time (the same id again would, rightly, return the case already made).
for f in "$BANGDAI_ROOT"/deploy/examples/*.yaml; do
  sed "s/^request_id: .*/request_id: $(cat /proc/sys/kernel/random/uuid)/" "$f" >"$VAR/$(basename "$f")"
  c=$("$BIN/bangdai-hall" submit "$VAR/$(basename "$f")" --contact-phone "$(bd_sample_phone)")
  echo "submitted $(basename "$f") as $c"
  cases+=("$c")
done

# Drives every item to its result the way the specialists would: 代办 items
# through on-site acceptance (上门受理), submission with the approval system's
# reference and approval with an e-licence; 帮办 items are filed by the unit,
# so the specialist records the submission and the decision, and keeps a
# help log (a consultation and a coordination meeting). Coordination and help
# tasks close by themselves when the last item is decided.
today=$(TZ=Asia/Shanghai date +%F)
dept() { "$BIN/bangdai-dept" "$@" >/dev/null; }
for c in "${cases[@]}"; do
  wait_tasks "$c" '^RECEIVED$'
  tasks_of "$c" | while read -r task kind d state; do
    n=${task##*-}
    case "$kind" in
      item)
        if [ -z "$(tasks_of "$c" | awk '$2 == "help"')" ]; then
          dept update "$task" accepted --dept "$d" --when "$today 09:30" --where "项目现场" \
            --note "上门受理, forms filled for the unit"
          dept update "$task" submitted --dept "$d" --ref "GC-${today//-/}-$n"
        else
          # 帮办: the unit filed it itself; the authority accepted it today,
          # and the item's clock restarts from that day.
          dept update "$task" submitted --dept "$d" --ref "GC-${today//-/}-$n" --accepted-on "$today"
        fi
        dept update "$task" approved --dept "$d" --doc "DJ-${today:0:4}-$d-$n" --kind e_licence ;;
      help)
        dept note "$task" consultation --dept "$d" --question "需要准备哪些申报材料?" \
          --answer "按事项清单准备, 专员逐项核对" ;;
    esac
  done
  h=$(tasks_of "$c" | awk '$2 == "help" {print $1, $3; exit}')
  if [ -n "$h" ]; then
    dept note ${h% *} meeting --dept ${h#* } --at "$today 15:00" --invited "${h#* },ghzy" \
      --topic "审批并联推进" --decisions "材料一周内补齐"
  fi
  # 统一送达: each result handed over in person (an e-licence item as an
  # e-licence), then the unit confirms receipt.
  wait_tasks "$c" '^(APPROVED|CLOSED)$'
  tasks_of "$c" | while read -r task kind d state; do
    [ "$kind" = item ] || continue
    dept deliver "$task" --dept "$d" --method e_licence --licence "DZZZ-${task##*-}-$RANDOM"
  done
  wait_tasks "$c" '^(HANDED_OVER|CLOSED)$'
  for task in $(tasks_of "$c" | awk '$2 == "item" {print $1}'); do
    "$BIN/bangdai-hall" download "$c" "$task" >/dev/null
  done
  wait_tasks "$c" '^(DELIVERED|CLOSED)$'
done
for c in "${cases[@]}"; do
  for i in $(seq 300); do
    "$BIN/bangdai-hall" status "$c" | grep -q '^state *RETURN_VISIT_OPEN' && break
    sleep 0.1
  done
  echo
  "$BIN/bangdai-hall" status "$c"
done

echo
echo "logs: $VAR/log/ (one JSON object per line; grep a case number to follow it)"
echo "      e.g. grep -h ${cases[0]} $VAR/log/*.log"
echo "database: PGHOST=$PGHOST PGPORT=$PGPORT psql -U postgres bangdai"
echo "health and queues (each daemon's /healthz and /metrics, README.md, Metrics and health):"
"$BIN/bangdaictl" status | sed 's/^/  /' || true
if [ "$once" = 1 ]; then
  exit 0
fi
echo "bangdai is running on $CONFIG; Ctrl-C stops everything."
wait
