# deploy/lib.sh - shell functions shared by deploy/run-local.sh and
# tests/run.sh: install what is missing, build, run a private PostgreSQL,
# and make the CURVE keys. Source it; it defines functions only.

BANGDAI_PACKAGES="build-essential cmake pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev
protobuf-c-compiler libpq-dev libyaml-dev libcmocka-dev libsystemd-dev libmicrohttpd-dev libcurl4-openssl-dev
postgresql postgresql-client help2man"

# What tests/run.sh needs beyond that: a second compiler, so that the code is
# known to build with clang too, with its libFuzzer runtime (tests/fuzz);
# and what the Python example client of docs/PROTOCOL.md needs
# (tests/integration/test_protocol.sh runs it); systemd's systemd-analyze,
# which checks the units (tests/integration/test_systemd_units.sh); Debian's
# docker-compose, which checks docker-compose.yml without a container
# engine, and python3-yaml (tests/integration/test_containers.sh);
# prometheus for its promtool, which checks a scrape of every daemon, and
# curl, which scrapes (tests/integration/test_metrics.sh); groff-base,
# which renders the installed man pages (tests/integration/test_install.sh).
BANGDAI_TEST_PACKAGES="clang libclang-rt-14-dev protobuf-compiler python3-zmq python3-protobuf systemd
docker-compose python3-yaml prometheus curl groff-base"

# A made-up mobile number for the sample applications' contact, whose file
# holds a masked one (the repo holds no whole number, and intake refuses a
# masked one): 1380000 and four random digits.
bd_sample_phone() { printf '1380000%04d\n' $((RANDOM % 10000)); }

# Installs the Debian packages that are missing (needs root; apt-get):
# BANGDAI_PACKAGES and any package names given.
bd_install_deps() {
  local missing="" p
  for p in $BANGDAI_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages:$missing (run as root, or install them with apt-get)" >&2
    return 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# bd_build DIR [cmake args...]: configures and builds into DIR.
bd_build() {
  local dir=$1; shift
  cmake -S "$BANGDAI_ROOT" -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$(nproc)"
}

bd_pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# The user PostgreSQL runs as: itself when not root, else the system user
# "bangdai" (created when missing), because PostgreSQL refuses to run as root.
bd_pg_user() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  id bangdai >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin bangdai
  echo bangdai
}

bd_as_pg() {
  local u; u=$(bd_pg_user)
  if [ "$(id -u)" = 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

# bd_pg_start DIR: initialises (once) and starts a cluster in DIR, reachable
# only through the Unix socket in DIR/run. Exports PGHOST, PGPORT and PGUSER
# (the cluster's superuser, "postgres").
bd_pg_start() {
  local dir=$1 bin u
  bin=$(bd_pg_bin) || return 1
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  u=$(bd_pg_user)
  mkdir -p "$dir/run"
  if [ "$(id -u)" = 0 ]; then chown -R "$u" "$dir"; fi
  if ! bd_as_pg test -w "$dir"; then
    echo "$dir is not writable by user $u: its parent folders must be searchable (chmod o+x)" >&2
    return 1
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    bd_as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  export PGHOST="$dir/run" PGPORT=${PGPORT:-5432} PGUSER=postgres
  if ! bd_as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    bd_as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir/run' -p $PGPORT -c fsync=${BANGDAI_PG_FSYNC:-on}" \
      start >/dev/null || { tail -20 "$dir/postgresql.log" >&2; return 1; }
  fi
}

bd_pg_stop() {
  local dir=$1 bin
  bin=$(bd_pg_bin)
  [ -f "$dir/data/PG_VERSION" ] || return 0
  bd_as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# bd_createdb NAME: creates the database when it does not exist.
bd_createdb() {
  psql -qAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 \
    || createdb "$1"
}

# bd_keys_init BANGDAICTL [args...]: makes every key of the configuration
# ($BANGDAI_CONFIG, or --config in args) whose public file is missing from
# security.certs_dir, and says what it made. The secret files are mode 0600
# and never leave the machine; a key already there is kept.
bd_keys_init() {
  local ctl=$1; shift
  "$ctl" "$@" keys init | sed 's/^/keys: /'
  return "${PIPESTATUS[0]}"
}

# bd_config_for OUT DBNAME KEYDIR [SED-ARGS...]: writes to OUT the sample
# county's configuration (deploy/config/dianjiang.yaml, or the file
# BANGDAI_SAMPLE_CONFIG names, such as an installed copy) for a private run:
# seven consecutive free ports on 127.0.0.1 (below the ephemeral range
# 32768-60999, where outgoing connections get their ports), database DBNAME,
# keys in KEYDIR, no metrics section (its fixed ports would collide between
# runs side by side; tests/integration/lib.sh with_metrics adds one on free
# ports), and any further sed arguments (-e 's#...#...#'). Sets BASE
# (the endpoints are BASE+1 .. BASE+7, the seventh intake's progress feed).
# Returns non-zero when the file could not be adapted.
bd_config_for() {
  local out=$1 db=$2 keys=$3 attempt ok i; shift 3
  bd_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for attempt in $(seq 50); do
    BASE=$(( 20000 + (RANDOM % 1200) * 10 ))
    ok=1
    for i in 1 2 3 4 5 6 7; do bd_port_free $((BASE + i)) || ok=0; done
    [ $ok = 1 ] && break
  done
  sed -e "s#tcp://127.0.0.1:7101#tcp://127.0.0.1:$((BASE + 1))#" \
      -e "s#tcp://127.0.0.1:7102#tcp://127.0.0.1:$((BASE + 2))#" \
      -e "s#tcp://127.0.0.1:7103#tcp://127.0.0.1:$((BASE + 3))#" \
      -e "s#tcp://127.0.0.1:7104#tcp://127.0.0.1:$((BASE + 4))#" \
      -e "s#tcp://127.0.0.1:7105#tcp://127.0.0.1:$((BASE + 5))#" \
      -e "s#tcp://127.0.0.1:7106#tcp://127.0.0.1:$((BASE + 6))#" \
      -e "s#tcp://127.0.0.1:7107#tcp://127.0.0.1:$((BASE + 7))#" \
      -e "s#^  dbname: bangdai#  dbname: $db#" \
      -e "s#^  certs_dir: .*#  certs_dir: $keys#" \
      -e '/^metrics:/,/^$/d' \
      "$@" "${BANGDAI_SAMPLE_CONFIG:-$BANGDAI_ROOT/deploy/config/dianjiang.yaml}" >"$out" || return 1
  grep -q "dbname: $db\$" "$out" && grep -q "^  certs_dir: $keys\$" "$out" &&
    grep -q "127.0.0.1:$((BASE + 7))" "$out"
}
