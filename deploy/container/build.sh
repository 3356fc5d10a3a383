#!/usr/bin/env bash
# deploy/container/build.sh - the steps of deploy/Dockerfile, as one script
# that the image build runs inside its containers and that
# tests/integration/test_containers.sh runs on the test machine, so that what
# the image does is tested where no container engine runs:
#
#   build.sh deps [--check] LIST      install the Debian packages of LIST
#                                     (packages-build.list or -runtime.list);
#                                     --check only reports those missing
#   build.sh build SRC BUILDDIR       the Release build of the eight programs
#   build.sh install SRC BUILDDIR DESTDIR
#                                     stage the programs, the migrations, the
#                                     sample configuration and examples, and
#                                     bangdai-container under DESTDIR (/ in
#                                     the image)
#   build.sh needed DESTDIR LIST      check that every shared library the
#                                     staged programs link comes from a
#                                     package of LIST (needs objdump, dpkg)
#
# Installed layout (DESTDIR-relative): usr/local/bin/ the programs and
# bangdai-container; usr/local/share/bangdai/sql/ the migrations;
# usr/local/share/bangdai/examples/ the sample applications;
# etc/bangdai/bangdai.yaml the sample county's configuration.
# When `cmake --install` exists (issue 11, packaging), `install` becomes a
# call to it with the same layout.
set -euo pipefail

PROGRAMS="bangdai-intake bangdai-router bangdai-tracker bangdai-delivery bangdai-evaluation
bangdai-hall bangdai-dept bangdaictl"

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

# The package names of LIST: comments and blank lines dropped.
packages_of() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$'; }

deps() {
  local check=0 missing="" p
  if [ "${1:-}" = --check ]; then check=1; shift; fi
  [ $# = 1 ] && [ -r "$1" ] || { echo "build.sh deps: no package list ${1:-}" >&2; return 2; }
  for p in $(packages_of "$1"); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ $check = 1 ]; then echo "build.sh deps: missing:$missing" >&2; return 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
  # An image keeps no package index; a host does not lose its own.
  if [ -f /.dockerenv ] || [ -n "${BANGDAI_IMAGE_BUILD:-}" ]; then
    apt-get clean && rm -rf /var/lib/apt/lists/*
  fi
}

build() {
  local src=$1 dir=$2
  # Warnings are errors in the project's own test builds, not in a
  # packager's (issue 11): no BANGDAI_WERROR here.
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$(nproc)" --target $PROGRAMS
}

install_staged() {
  local src=$1 dir=$2 dest=$3 p
  install -d "$dest/usr/local/bin" "$dest/usr/local/share/bangdai/sql" \
             "$dest/usr/local/share/bangdai/examples" "$dest/etc/bangdai"
  for p in $PROGRAMS; do
    install -m 0755 -s "$dir/services/$p" "$dest/usr/local/bin/$p"
  done
  install -m 0755 "$src/deploy/container/entrypoint.sh" "$dest/usr/local/bin/bangdai-container"
  install -m 0644 "$src"/deploy/sql/*.sql "$dest/usr/local/share/bangdai/sql/"
  install -m 0644 "$src"/deploy/examples/*.yaml "$dest/usr/local/share/bangdai/examples/"
  install -m 0644 "$src/deploy/config/dianjiang.yaml" "$dest/etc/bangdai/bangdai.yaml"
}

needed() {
  local dest=$1 list=$2 p lib pkg bad=0
  for p in $PROGRAMS; do
    for lib in $(objdump -p "$dest/usr/local/bin/$p" | awk '$1 == "NEEDED" {print $2}'); do
      pkg=$(dpkg -S "*/$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
      [ -n "$pkg" ] || { echo "build.sh needed: $p links $lib, of no package" >&2; bad=1; continue; }
      # libc6 is in every Debian image.
      [ "$pkg" = libc6 ] && continue
      packages_of "$list" | grep -qx "$pkg" || { echo "build.sh needed: $p links $lib ($pkg), not in $list" >&2; bad=1; }
    done
  done
  return $bad
}

case "${1:-}" in
  deps) shift; deps "$@" ;;
  build) [ $# = 3 ] || { usage >&2; exit 2; }; build "$2" "$3" ;;
  install) [ $# = 4 ] || { usage >&2; exit 2; }; install_staged "$2" "$3" "$4" ;;
  needed) [ $# = 3 ] || { usage >&2; exit 2; }; needed "$2" "$3" ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
