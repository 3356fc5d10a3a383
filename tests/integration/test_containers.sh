#!/usr/bin/env bash
# The containers (issue 11), tested without a container engine:
# docker-compose.yml parses (docker-compose config -q) and has what it must
# (postgres:15 on a named volume, the one-shot setup before the daemons,
# the five daemons and an agent per department of the sample county, health
# checks, restart policies, keys and spools on volumes); deploy/Dockerfile's
# steps run here through deploy/container/build.sh (its package lists, the
# Release build, the staged install, the runtime list covering every linked
# library); and every service's command goes through the image's entry point
# in dry-run mode from the staged files: the program exists, its options are
# its --help's, and the configuration written for its container binds its own
# endpoints on 0.0.0.0 and names the other services. With PostgreSQL
# (PGHOST), the setup command runs for real: migrations and keys.
set -euo pipefail
: "${BANGDAI_ROOT:?BANGDAI_ROOT must name the source tree (ctest sets it)}"
T=$(mktemp -d /tmp/bangdai-ct.XXXXXX)
DB="bdct_$$"
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }
cleanup() {
  local rc=$?
  if [ -n "${PGHOST:-}" ]; then dropdb --if-exists "$DB" >/dev/null 2>&1 || true; fi
  [ $rc = 0 ] && rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
cd "$BANGDAI_ROOT"
BUILD_SH=deploy/container/build.sh

# 1. The compose file, as Docker's own parser reads it.
command -v docker-compose >/dev/null || fail "docker-compose missing (tests/run.sh installs it)"
docker-compose -f docker-compose.yml config -q || fail "docker-compose config refuses docker-compose.yml"
docker-compose -f docker-compose.yml --profile tools config >"$T/compose.yaml" || fail "docker-compose config --profile tools"

# What it must hold, checked on the resolved file (anchors merged); prints
# "SERVICE<TAB>argv..." for each service's command and health check.
depts=$(sed -n '/^departments:/,/^items:/p' deploy/config/dianjiang.yaml | sed -n 's/^  - code: \([a-z0-9_-]*\)$/\1/p')
python3 - "$T/compose.yaml" $depts >"$T/commands" <<'PY' || fail "docker-compose.yml lacks something (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
depts = sys.argv[2:]
s = c["services"]
bad = []
def need(cond, what):
    if not cond: bad.append(what)
pg = s.get("postgres", {})
need(pg.get("image") == "postgres:15", "postgres: image postgres:15")
need(any(str(v).split(":")[0] == "pgdata" for v in [m.get("source") if isinstance(m, dict) else m for m in pg.get("volumes", [])]), "postgres: the named volume pgdata")
need("healthcheck" in pg, "postgres: a health check")
need(s.get("setup", {}).get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy", "setup waits for a healthy postgres")
daemons = ["intake", "router", "tracker", "delivery", "evaluation"]
agents = ["agent-" + d for d in depts]
for name in daemons + agents:
    svc = s.get(name)
    if svc is None:
        bad.append("no service " + name); continue
    need(svc.get("restart") in ("unless-stopped", "always", "on-failure"), name + ": a restart policy")
    need(svc.get("depends_on", {}).get("setup", {}).get("condition") == "service_completed_successfully", name + ": starts after setup")
    hc = svc.get("healthcheck", {}).get("test")
    need(bool(hc) and hc[0] == "CMD", name + ": a health check")
    if hc: print(name + "-health\t" + "\t".join(hc[1:]))
    vols = [v["source"] + ":" + v["target"] if isinstance(v, dict) else v for v in svc.get("volumes", [])]
    need(any(v.startswith("keys:/var/lib/bangdai/keys") for v in vols), name + ": the keys volume")
    if name.startswith("agent-"):
        need(any(v.startswith("spool:/var/spool/bangdai") for v in vols), name + ": the spool volume")
for name, svc in s.items():
    if name == "postgres": continue
    need(svc.get("image") == "bangdai:latest" and svc.get("build", {}).get("dockerfile") == "deploy/Dockerfile", name + ": the bangdai image")
    print(name + "\t" + "\t".join(svc.get("command", [])))
for v in ("pgdata", "pgrun", "keys", "spool"):
    need(v in c.get("volumes", {}), "the named volume " + v)
if bad:
    print("docker-compose.yml: " + "; ".join(bad), file=sys.stderr); sys.exit(1)
PY
note "compose: $(grep -vc -- -health "$T/commands") services"

# 2. The Dockerfile's steps, here: the lists it installs, its build, its install.
for l in build runtime; do
  grep -q "build.sh deps .*packages-$l.list" deploy/Dockerfile || fail "the Dockerfile does not install packages-$l.list"
  "$BUILD_SH" deps --check "deploy/container/packages-$l.list" || fail "packages-$l.list: not installed here"
done
if grep -v '^#' deploy/container/packages-runtime.list | grep -qE -- '-dev$|^(build-essential|cmake|gcc)$'; then
  fail "packages-runtime.list holds build packages"
fi
"$BUILD_SH" build "$BANGDAI_ROOT" "$T/build" >"$T/build.log" 2>&1 || { tail -20 "$T/build.log" >&2; fail "build.sh build"; }
"$BUILD_SH" install "$BANGDAI_ROOT" "$T/build" "$T/root" || fail "build.sh install"
"$BUILD_SH" needed "$T/root" deploy/container/packages-runtime.list || fail "the runtime list misses a library"
ls "$T"/root/usr/local/share/bangdai/sql/[0-9]*.sql >/dev/null || fail "no migrations staged"

# 3. Each service's command through the entry point, dry, from the staged files.
export PATH="$T/root/usr/local/bin:$PATH"
export BANGDAI_CONFIG_SOURCE="$T/root/etc/bangdai/bangdai.yaml" BANGDAI_KEYS="$T/keys"
export BANGDAI_SQL_DIR="$T/root/usr/local/share/bangdai/sql"
declare -A BINDS=([intake]="intake feed" [router]="router router_dept" [tracker]=tracker
                  [delivery]=delivery [evaluation]=evaluation)
declare -A HOST=([intake]=intake [feed]=intake [router]=router [router_dept]=router
                 [tracker]=tracker [delivery]=delivery [evaluation]=evaluation)
n=0
while IFS=$'\t' read -r -a line; do
  service=${line[0]}; argv=("${line[@]:1}")
  export BANGDAI_CONFIG="$T/$service.yaml"
  bangdai-container --dry-run "${argv[@]}" >"$T/$service.dry" 2>&1 \
    || fail "$service: bangdai-container --dry-run ${argv[*]}: $(cat "$T/$service.dry")"
  case $service in *-health) n=$((n + 1)); continue ;; esac
  # The configuration written for this container: own endpoints on 0.0.0.0,
  # the others at their service's name, the keys on the volume.
  prog=${argv[0]}; self=${prog#bangdai-}
  [ "${argv[0]}" = setup ] && self=setup
  for ep in "${!HOST[@]}"; do
    want=${HOST[$ep]}
    case " ${BINDS[$self]:-} " in *" $ep "*) want=0.0.0.0 ;; esac
    grep -qE "^  $ep: *tcp://$want:[0-9]+" "$BANGDAI_CONFIG" || fail "$service: endpoints.$ep is not at $want: $(grep "^  $ep:" "$BANGDAI_CONFIG")"
  done
  grep -q "^  certs_dir: $T/keys\$" "$BANGDAI_CONFIG" || fail "$service: certs_dir not adapted"
  # Every command line it would run: the program is staged, each option and
  # the command word are in its --help, and a daemon's line with --help
  # added is accepted.
  while read -r -a cmd; do
    p=${cmd[0]}
    [ -x "$T/root/usr/local/bin/$p" ] || fail "$service: $p is not a staged program"
    "$p" --help >"$T/help" 2>&1 || fail "$service: $p --help"
    for a in "${cmd[@]:1}"; do
      case $a in
        --*) grep -q -- "$a\\b" "$T/help" || fail "$service: $p --help does not name $a" ;;
      esac
    done
    case $p in
      bangdai-dept|bangdaictl) grep -qE "^  ${cmd[1]} " "$T/help" || fail "$service: $p has no command ${cmd[1]}" ;;
      *) "${cmd[@]}" --help >/dev/null 2>&1 || fail "$service: ${cmd[*]} --help refused" ;;
    esac
  done <"$T/$service.dry"
  n=$((n + 1))
done <"$T/commands"
note "entry point: $n command lines checked"
# The sample's metrics section: each daemon's metrics address binds 0.0.0.0
# in its own container and names the service elsewhere, and its health check
# asks its /healthz through bangdaictl status.
cp "$T/root/etc/bangdai/bangdai.yaml" "$T/metrics.yaml"
[ "$(sed -n '/^metrics:/,/^$/p' "$T/metrics.yaml" | grep -c '^  [a-z]*: 127.0.0.1:91')" = 5 ] \
  || fail "the sample's metrics section does not hold five addresses"
export BANGDAI_CONFIG_SOURCE="$T/metrics.yaml" BANGDAI_CONFIG="$T/metrics-router.yaml"
out=$(bangdai-container --dry-run health router) || fail "health router with metrics: $out"
[ "$out" = "bangdaictl status router" ] || fail "health router with metrics runs '$out'"
bangdaictl --help >"$T/ctl-help" && grep -qE '^  status ' "$T/ctl-help" || fail "bangdaictl has no command status"
sed -n '/^metrics:/,/^$/p' "$T/metrics-router.yaml" >"$T/metrics-section"
grep -qx '  router: 0.0.0.0:9102' "$T/metrics-section" || fail "router's own metrics address: $(cat "$T/metrics-section")"
grep -qx '  tracker: tracker:9103' "$T/metrics-section" || fail "the tracker's metrics address: $(cat "$T/metrics-section")"
grep -qE '^  router: tcp://0.0.0.0:[0-9]+' "$T/metrics-router.yaml" || fail "the endpoints were not adapted as before"
export BANGDAI_CONFIG_SOURCE="$T/root/etc/bangdai/bangdai.yaml"

# A configuration the entry point cannot adapt stops the start, naming it.
sed 's/^  router: tcp:.*/  router: {bad: 1}/' "$T/root/etc/bangdai/bangdai.yaml" >"$T/bad.yaml"
BANGDAI_CONFIG_SOURCE="$T/bad.yaml" BANGDAI_CONFIG="$T/bad.out" bangdai-container --dry-run bangdai-router >"$T/bad.log" 2>&1 \
  && fail "an unadaptable configuration was accepted"
grep -q "endpoints.router" "$T/bad.log" || fail "the refusal does not name endpoints.router: $(cat "$T/bad.log")"

# 4. The one-shot setup, for real, against the test cluster: migrations
# applied once, every key of the configuration made.
if [ -n "${PGHOST:-}" ]; then
  createdb "$DB"
  sed "s/^  dbname: bangdai/  dbname: $DB/" "$T/root/etc/bangdai/bangdai.yaml" >"$T/source.yaml"
  export BANGDAI_CONFIG_SOURCE="$T/source.yaml" BANGDAI_CONFIG="$T/setup.yaml"
  for round in 1 2; do
    bangdai-container setup >"$T/setup$round.log" 2>&1 || fail "setup (round $round): $(tail -5 "$T/setup$round.log")"
  done
  grep -q "^0 migrations applied" "$T/setup2.log" || fail "the second setup applied migrations: $(cat "$T/setup2.log")"
  [ "$(psql -qAtX -d "$DB" -c "SELECT count(*) FROM public.bangdai_migrations")" = "$(ls deploy/sql/[0-9]*.sql | wc -l)" ] \
    || fail "not every migration applied"
  keys=$(grep -c '^    - {name: ' "$T/source.yaml")
  [ "$(ls "$T"/keys/*.key_secret | wc -l)" = "$keys" ] || fail "setup made $(ls "$T"/keys/*.key_secret | wc -l) keys of $keys"
  note "setup: migrations and $keys keys"
fi
note "ok"
