#!/usr/bin/env bash
# scripts/newer-libvirtd.sh start|stop|env [DIR]
#
# A second, newer libvirtd (Debian bookworm-backports, $VIRTWIRE_NEWER_VERSION,
# default 11.3.0-2~bpo12+1) beside the sandbox's Debian 12 one (9.0), without
# installing anything: the packages are downloaded into DIR with a private apt
# configuration (the system's own apt state is never changed), unpacked there
# with dpkg-deb -x, and libvirtd runs from DIR in a mount namespace of its own
# with tmpfs over the folders it insists on (/run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt, /var/log/libvirt). It serves the test driver (built into
# the daemon) and the admin socket only: no driver module is loaded. Enough to
# check the wire, events and the test driver's streams against a newer daemon.
# Needs root and Debian 12's apt (plus network access to its mirror).
#
#   start  idempotent; downloads and unpacks once (DIR/root), then starts
#          libvirtd and waits for its sockets: DIR/run/libvirt-sock (+ -ro,
#          -admin-sock); writes DIR/env (VIRTWIRE_NEWER_SOCKET,
#          VIRTWIRE_NEWER_ADMIN_SOCKET, VIRTWIRE_NEWER_LIBDIR; source it) and prints how
#          long it took.
#   stop   stops that libvirtd (found through its pid file).
#   env    prints the path of DIR/env (fails if it is not started).
#
# DIR defaults to $VIRTWIRE_NEWER_DIR, else ${TMPDIR:-/tmp}/virtwire-newer.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

ME=newer-libvirtd
VERSION=${VIRTWIRE_NEWER_VERSION:-11.3.0-2~bpo12+1}
PACKAGES="libvirt-daemon libvirt0 libvirt-common libvirt-daemon-common libvirt-clients"
WAIT_SECS=${VIRTWIRE_SANDBOX_TIMEOUT:-30}

say() { echo "$ME: $*"; }
die() {
  echo "$ME: $*" >&2
  exit 1
}
usage() {
  echo "usage: $0 start|stop|env [DIR]" >&2
  exit 2
}

# the pid in DIR/state/libvirtd.pid, if that process is a libvirtd that runs
daemon_pid() {
  local pid
  [ -s "$DIR/state/libvirtd.pid" ] || return 1
  pid=$(tr -dc 0-9 <"$DIR/state/libvirtd.pid")
  [ -n "$pid" ] && [ -e "/proc/$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR/root/usr/sbin/libvirtd" || return 1
  echo "$pid"
}

# The Debian mirror the system's apt already uses (deb822 or one-line sources).
mirror() {
  local m
  m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1 == "deb" && $3 ~ /^bookworm/ {print $2; exit}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  [ -n "$m" ] || die "no Debian mirror in the apt sources"
  echo "$m"
}

# Downloads the packages of $VERSION into DIR/debs and unpacks them into DIR/root.
fetch() {
  local apt="$DIR/apt" f
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/sources" "$DIR/debs"
  cat >"$apt/sources/backports.sources" <<SOURCES
Types: deb
URIs: $(mirror)
Suites: bookworm bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
    -o Dir::State::Status=/var/lib/dpkg/status -o Debug::NoLocking=1)
  say "downloading libvirt $VERSION (bookworm-backports)"
  apt-get "${opts[@]}" update -q >"$DIR/state/apt.log" 2>&1 ||
    die "apt-get update failed: see $DIR/state/apt.log"
  local wanted=()
  for f in $PACKAGES; do wanted+=("$f=$VERSION"); done
  (cd "$DIR/debs" && apt-get "${opts[@]}" download -q "${wanted[@]}") >>"$DIR/state/apt.log" 2>&1 ||
    die "downloading ${wanted[*]} failed: see $DIR/state/apt.log"
  rm -rf "$DIR/root.new"
  for f in "$DIR"/debs/*.deb; do dpkg-deb -x "$f" "$DIR/root.new"; done
  # an empty module folder: the daemon would otherwise load the system's 9.0 modules
  mkdir -p "$DIR/root.new/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"
  mv "$DIR/root.new" "$DIR/root"
}

write_config() {
  cat >"$DIR/libvirtd.conf" <<CONF
unix_sock_dir = "$DIR/run"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$DIR/state/libvirtd.log"
CONF
  local lib="$DIR/root/usr/lib/x86_64-linux-gnu"
  cat >"$DIR/run.sh" <<RUN
#!/usr/bin/env bash
# runs inside its own mount namespace (unshare -m), see scripts/newer-libvirtd.sh
set -e
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  mkdir -p "\$d"
  mount -t tmpfs tmpfs "\$d"
done
export LD_LIBRARY_PATH="$lib"
export LIBVIRT_DRIVER_DIR="$lib/libvirt/connection-driver"
exec "$DIR/root/usr/sbin/libvirtd" -f "$DIR/libvirtd.conf" -p "$DIR/state/libvirtd.pid"
RUN
  chmod 0755 "$DIR/run.sh"
}

start() {
  local t0 i
  t0=$(date +%s%N)
  mkdir -p "$DIR/state" "$DIR/run"
  if daemon_pid >/dev/null; then
    say "already running (pid $(daemon_pid))"
  else
    [ -x "$DIR/root/usr/sbin/libvirtd" ] || fetch
    write_config
    rm -f "$DIR/run/libvirt-sock" "$DIR/run/libvirt-sock-ro" "$DIR/run/libvirt-admin-sock"
    unshare -m --propagation private "$DIR/run.sh" >"$DIR/state/out.log" 2>&1 &
    for ((i = 0; i < WAIT_SECS * 10; i++)); do
      [ -S "$DIR/run/libvirt-sock" ] && [ -S "$DIR/run/libvirt-admin-sock" ] && break
      sleep 0.1
    done
    [ -S "$DIR/run/libvirt-sock" ] || {
      tail -n 20 "$DIR/state/out.log" "$DIR/state/libvirtd.log" >&2 2>/dev/null || true
      die "libvirtd $VERSION did not start within ${WAIT_SECS}s (logs in $DIR/state)"
    }
  fi
  cat >"$DIR/env" <<ENV
# the newer libvirtd, written by scripts/newer-libvirtd.sh start; source it
export VIRTWIRE_NEWER_SOCKET=$DIR/run/libvirt-sock
export VIRTWIRE_NEWER_ADMIN_SOCKET=$DIR/run/libvirt-admin-sock
# its client libraries (libvirt.so.0, -admin, -lxc), for tests/independent_encoder.rs
export VIRTWIRE_NEWER_LIBDIR=$DIR/root/usr/lib/x86_64-linux-gnu
ENV
  say "libvirtd $VERSION ready in $((($(date +%s%N) - t0) / 1000000)) ms:" \
    "test+unix:///default?socket=$DIR/run/libvirt-sock"
  say "environment: $DIR/env"
}

stop() {
  local pid i
  if pid=$(daemon_pid); then
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
      [ -e "/proc/$pid" ] || break
      sleep 0.05
    done
    [ ! -e "/proc/$pid" ] || kill -KILL "$pid" 2>/dev/null || true
    say "stopped libvirtd (pid $pid)"
  fi
  rm -f "$DIR/state/libvirtd.pid" "$DIR/env"
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
DIR=${2:-${VIRTWIRE_NEWER_DIR:-${TMPDIR:-/tmp}/virtwire-newer}}
[[ $DIR == /* ]] || DIR=$PWD/$DIR
case "$1" in
  start) start ;;
  stop) stop ;;
  env)
    [ -s "$DIR/env" ] || die "not started: bash $0 start $DIR"
    echo "$DIR/env"
    ;;
  *) usage ;;
esac
