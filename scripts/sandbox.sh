#!/usr/bin/env bash
# scripts/sandbox.sh start|stop|env [DIR]
#
# A private, real libvirtd for virtwire's integration tests. Everything it
# writes lives under DIR (default: $VIRTWIRE_SANDBOX, else
# ${TMPDIR:-/tmp}/virtwire-sandbox). Needs root, no systemd.
#
#   start  idempotent; brings up and waits for:
#            libvirtd "main"  auth none   unix  DIR/run/libvirt-sock (+ -ro, -admin-sock)
#                                         tcp   127.0.0.1:$VIRTWIRE_TCP_PORT   (16909)
#                                         tls   127.0.0.1:$VIRTWIRE_TLS_PORT   (16914)
#            libvirtd "sasl"  auth sasl   unix  DIR/sasl/run/libvirt-sock
#                                         tcp   127.0.0.1:$VIRTWIRE_SASL_TCP_PORT (16919)
#                                         tls   127.0.0.1:$VIRTWIRE_SASL_TLS_PORT (16924)
#            libvirtd "dest"  auth none   unix  DIR/dest/run/libvirt-sock (+ -ro, -admin-sock)
#                             incoming migrations on 127.0.0.1:$VIRTWIRE_MIGRATION_PORT+10..+19
#                             (main's on +0..+9; default VIRTWIRE_TCP_PORT+20)
#                             no tcp/tls listener; a host UUID of its own (DIR/dest/host-uuid):
#                             the other end of migration tests (VIRTWIRE_SANDBOX_DEST=0
#                             leaves it out)
#            sshd  keys only              127.0.0.1:$VIRTWIRE_SSH_PORT   (2922)
#            sshd  root's password only   127.0.0.1:$VIRTWIRE_SSH_PASSWORD_PORT (2923)
#          and builds (once) a tiny TCG guest for the qemu driver in DIR/guest
#          (scripts/guest.sh; its domain XML is $VIRTWIRE_GUEST_XML),
#          then writes DIR/env (export VIRTWIRE_...=... lines; source it).
#   stop   destroys running QEMU guests, then stops every process start
#          launched, found through pid files (works after a failed start).
#          Keys, certificates and logs stay; daemon state is reset by the
#          next start.
#   env    prints the path of DIR/env (fails if the sandbox is not started).
#
# How libvirtd is confined: as root it insists on /etc/libvirt, /run/libvirt
# and /var/{lib,cache,log}/libvirt. Each libvirtd runs inside its own mount
# namespace, owned by a small "holder" process, where /var and /run are
# overlays whose upper layers are in DIR and /etc/libvirt, /etc/passwd,
# /etc/group are bind mounts of files in DIR. Each sshd gets a namespace of its
# own with a private /run. The password sshd's namespace also has a private
# /etc/shadow (a bind mount of DIR/ssh/shadow) in which root's password is the
# one in DIR/ssh/root-password (random, made once): the machine's real
# /etc/shadow is never read or changed.
#
# Migration between "main" and "dest": both namespaces see DIR at the same
# path (shared storage: the guest's kernel and initrd), and share the network.
# QEMU's migration stream goes to 127.0.0.1 only if the migration asks so
# (qemu.conf refuses a local address for migration_host/migration_address):
# the tests pass migrate_uri tcp://127.0.0.1 and listen_address 127.0.0.1, and
# the destination picks the port from its range (qemu.conf's migration_port_min/max:
# $VIRTWIRE_MIGRATION_PORT..+9 for main, +10..+19 for dest, default from
# VIRTWIRE_TCP_PORT+20; disjoint, since two daemons allocating from one range
# race for its first free port, and per sandbox). libvirt refuses to migrate
# to the host it runs on by comparing the host UUIDs in the migration cookie,
# hence dest's host_uuid.
# Peer-to-peer migration needs no listener: the source daemon reaches dest at
# qemu+unix:///system?socket=DIR/dest/run/libvirt-sock (the other way round at
# DIR/run/libvirt-sock), a URI its remote driver accepts inside the daemon.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

ME=sandbox
SASL_USER=alice
SASL_PASSWORD=secret123
WAIT_SECS=${VIRTWIRE_SANDBOX_TIMEOUT:-30}

usage() {
  echo "usage: $0 start|stop|env [DIR]" >&2
  exit 2
}

say() { echo "$ME: $*"; }
warn() { echo "$ME: $*" >&2; }
die() {
  warn "$*"
  exit 1
}

# fail SERVICE MESSAGE LOG... : report which service failed and where its logs
# are (with their tails, since CI machines vanish), then exit 1.
fail() {
  local service=$1 message=$2 log
  shift 2
  warn "FAILED: $service: $message"
  for log in "$@"; do
    warn "$service: see $log"
    if [ -s "$log" ]; then
      echo "----- last lines of $log -----" >&2
      tail -n 25 "$log" >&2
      echo "-----" >&2
    fi
  done
  warn "clean up with: bash $0 stop $DIR"
  exit 1
}

# ------------------------------------------------------------------ processes

# running PID: the process exists and is not a zombie
running() {
  local state
  [ -n "$1" ] && [ -e "/proc/$1" ] || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# pid_of PIDFILE PATTERN: print the pid named in PIDFILE if that process runs
# and its command line contains PATTERN (guards against recycled pids).
pid_of() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc 0-9 <"$1" 2>/dev/null) || return 1
  running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

# stop_pidfile PIDFILE PATTERN NAME: SIGTERM, SIGKILL after 10 s
stop_pidfile() {
  local pid i
  if pid=$(pid_of "$1" "$2"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      running "$pid" || break
      sleep 0.05
    done
    if running "$pid"; then
      warn "$3 (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $3 (pid $pid)"
  fi
  rm -f "$1"
}

# ------------------------------------------------------------------ settings

port_var() {
  local name=$1 default=$2 value
  value=${!name:-$default}
  if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
    die "$name=$value is not a port number"
  fi
  echo "$value"
}

load_ports() {
  TCP_PORT=$(port_var VIRTWIRE_TCP_PORT 16909)
  TLS_PORT=$(port_var VIRTWIRE_TLS_PORT 16914)
  SASL_TCP_PORT=$(port_var VIRTWIRE_SASL_TCP_PORT 16919)
  SASL_TLS_PORT=$(port_var VIRTWIRE_SASL_TLS_PORT 16924)
  SSH_PORT=$(port_var VIRTWIRE_SSH_PORT 2922)
  SSH_PASSWORD_PORT=$(port_var VIRTWIRE_SSH_PASSWORD_PORT 2923)
  # incoming migrations: main's QEMU listens on one of MIGRATION_PORT..+9, dest's on +10..+19
  MIGRATION_PORT=$(port_var VIRTWIRE_MIGRATION_PORT $((TCP_PORT + 20)))
  ((MIGRATION_PORT + 19 <= 65535)) || die "VIRTWIRE_MIGRATION_PORT=$MIGRATION_PORT: the 20 ports from it do not fit"
}

# set_dir CREATE: resolve DIR to a physical absolute path and check it is usable
set_dir() {
  [[ $DIR == /* ]] || DIR=$PWD/$DIR
  check_dir # before creating anything
  if [ "$1" = create ]; then
    mkdir -p "$DIR"
  elif [ ! -d "$DIR" ]; then
    return 1
  fi
  DIR=$(cd "$DIR" && pwd -P)
  check_dir # symlinks resolved
}

check_dir() {
  case "$DIR/" in
    /var/* | /run/* | /etc/* | /proc/* | /sys/* | /dev/* | /)
      # /var and /run are overlaid inside libvirtd's namespace (an overlay
      # cannot have its upper layer inside its lower one), /run is replaced
      # in sshd's namespace.
      die "the sandbox directory cannot be under /var, /run, /etc, /proc, /sys or /dev (got $DIR); set VIRTWIRE_SANDBOX, e.g. VIRTWIRE_SANDBOX=/tmp/virtwire-sandbox"
      ;;
  esac
  # longest socket: DIR/sasl/run/libvirt-admin-sock; sun_path holds 107 bytes
  if ((${#DIR} > 78)); then
    die "sandbox directory path is too long for unix socket paths (max 78 chars): $DIR"
  fi
}

lock_dir() {
  exec 9>"$DIR/.lock"
  if ! flock -w "${1:-120}" 9; then
    [ "${2:-}" = soft ] || die "another sandbox.sh is still working on $DIR (lock $DIR/.lock)"
    warn "could not take $DIR/.lock; going on without it"
  fi
}

# ------------------------------------------------------------------ start: files

# new_ca DIR CN: a self-signed CA, DIR/cacert.pem + DIR/cakey.pem
new_ca() {
  printf 'cn = %s\nca\ncert_signing_key\nexpiration_days = 3650\n' "$2" >"$1/ca.info" &&
    certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$1/cakey.pem" &&
    certtool --generate-self-signed --load-privkey "$1/cakey.pem" \
      --template "$1/ca.info" --outfile "$1/cacert.pem"
}

# new_cert DIR ROLE: DIR/ROLEkey.pem + DIR/ROLEcert.pem (template DIR/ROLE.info),
# signed by the CA in DIR
new_cert() {
  certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$1/$2key.pem" &&
    certtool --generate-certificate --load-privkey "$1/$2key.pem" \
      --load-ca-certificate "$1/cacert.pem" --load-ca-privkey "$1/cakey.pem" \
      --template "$1/$2.info" --outfile "$1/$2cert.pem"
}

# DIR/pki: CA, server certificate (SANs localhost, 127.0.0.1, ::1), client
# certificate; libvirt's pkipath= layout (cacert.pem, clientcert.pem,
# clientkey.pem). DIR/pki-wrongca: an unrelated CA and a client certificate it
# signed, for negative tests.
make_pki() {
  local pki=$DIR/pki wrong=$DIR/pki-wrongca log=$DIR/log/pki.log
  [ -s "$pki/clientcert.pem" ] && [ -s "$wrong/clientcert.pem" ] && return 0
  rm -rf "$pki" "$wrong"
  mkdir -p "$pki" "$wrong"
  cat >"$pki/server.info" <<'EOF'
organization = virtwire sandbox
cn = localhost
dns_name = localhost
ip_address = 127.0.0.1
ip_address = ::1
tls_www_server
encryption_key
signing_key
expiration_days = 3650
EOF
  printf 'organization = virtwire sandbox\ncn = virtwire-test-client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 3650\n' >"$pki/client.info"
  printf 'organization = somebody else\ncn = virtwire-wrong-client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 3650\n' >"$wrong/client.info"
  if ! {
    new_ca "$pki" "virtwire sandbox CA" &&
      new_cert "$pki" server &&
      new_cert "$pki" client &&
      new_ca "$wrong" "virtwire unrelated CA" &&
      new_cert "$wrong" client &&
      chmod 600 "$pki"/*key.pem "$wrong"/*key.pem
  } >"$log" 2>&1; then
    rm -f "$pki/clientcert.pem" "$wrong/clientcert.pem"
    fail "pki (certtool)" "certificate generation failed" "$log"
  fi
}

make_ssh_files() {
  local s=$DIR/ssh
  mkdir -p "$s"
  if [ ! -s "$s/id_ed25519" ] || [ ! -s "$s/host_ed25519_key" ]; then
    rm -f "$s"/id_ed25519* "$s"/host_ed25519_key*
    ssh-keygen -q -t ed25519 -N '' -C virtwire-sandbox-host -f "$s/host_ed25519_key"
    ssh-keygen -q -t ed25519 -N '' -C virtwire-sandbox-client -f "$s/id_ed25519"
  fi
  # files a running sshd or ssh may be reading are replaced, never rewritten in place
  cp "$s/id_ed25519.pub" "$s/authorized_keys.new"
  chmod 600 "$s/authorized_keys.new"
  mv "$s/authorized_keys.new" "$s/authorized_keys"

  cat >"$s/sshd_config.new" <<EOF
# virtwire sandbox sshd (written by scripts/sandbox.sh)
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $s/host_ed25519_key
PidFile $DIR/run/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
# parallel tests open many connections at once (default 10:30:100 drops some)
MaxStartups 200
MaxSessions 200
LogLevel VERBOSE
EOF

  # the same, but root logs in with a password, and nothing else
  cat >"$s/sshd_password_config.new" <<EOF
# virtwire sandbox sshd for password logins (written by scripts/sandbox.sh);
# runs with DIR/ssh/shadow as its /etc/shadow
ListenAddress 127.0.0.1:$SSH_PASSWORD_PORT
HostKey $s/host_ed25519_key
PidFile $DIR/run/sshd-password.pid
AllowUsers root
PermitRootLogin yes
PubkeyAuthentication no
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
MaxStartups 200
MaxSessions 200
LogLevel VERBOSE
EOF
  if [ ! -s "$s/root-password" ]; then
    (umask 077 && od -An -tx1 -N12 /dev/urandom | tr -d ' \n' >"$s/root-password.new") &&
      mv "$s/root-password.new" "$s/root-password"
  fi
  # for ssh's SSH_ASKPASS (the startup probe)
  printf '#!/bin/sh\nexec cat %s\n' "'$s/root-password'" >"$s/askpass.new"
  chmod 700 "$s/askpass.new"
  mv "$s/askpass.new" "$s/askpass"

  cat >"$s/ssh_config.new" <<EOF
# client side, used through $s/ssh-wrapper; leaves ~/.ssh alone
Host *
  User root
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
  mv "$s/ssh_config.new" "$s/ssh_config"
  # libvirt URIs take it as ?command=...; it accepts ssh's usual arguments
  printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "'$s/ssh_config'" >"$s/ssh-wrapper.new"
  chmod 755 "$s/ssh-wrapper.new"
  mv "$s/ssh-wrapper.new" "$s/ssh-wrapper"
}

# write_libvirtd_conf INSTDIR AUTH TCP TLS [HOSTUUID] > file
# TCP and TLS "none": no network listener; HOSTUUID: the daemon's host_uuid
write_libvirtd_conf() {
  local inst=$1 auth=$2 rw_perms=0770
  # the sasl instance authenticates on the socket itself, so anyone may connect
  [ "$auth" = sasl ] && rw_perms=0777
  cat <<EOF
# virtwire sandbox libvirtd (written by scripts/sandbox.sh)
unix_sock_dir = "$inst/run"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "$rw_perms"
unix_sock_admin_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "$auth"
EOF
  [ -z "${5:-}" ] || echo "host_uuid = \"$5\""
  if [ "$3" = none ]; then
    printf 'listen_tcp = 0\nlisten_tls = 0\n'
  else
    cat <<EOF
listen_tcp = 1
listen_tls = 1
listen_addr = "127.0.0.1"
tcp_port = "$3"
tls_port = "$4"
auth_tcp = "$auth"
auth_tls = "$auth"
key_file = "$DIR/pki/serverkey.pem"
cert_file = "$DIR/pki/servercert.pem"
ca_file = "$DIR/pki/cacert.pem"
EOF
  fi
  cat <<EOF
# parallel tests: more concurrent handshakes and admin clients than defaults
max_anonymous_clients = 200
admin_max_clients = 64
admin_max_queued_clients = 64
log_outputs = "3:file:$inst/log/libvirtd.log"
EOF
}

# ------------------------------------------------------------------ start: daemons

# Script run by the namespace holder: $0 is a tag naming it, $1 the instance dir.
# shellcheck disable=SC2016
HOLDER_SCRIPT='
I=$1 R=$1/sysroot
overlay() { # overlay TARGET NAME
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$R/$2.upper,workdir=$R/$2.work" "$1"
}
var=0
overlay /var var && var=1
if [ $var = 0 ] || ! overlay /run run; then
  # e.g. DIR is itself on an overlayfs: keep the upper layers in memory
  echo "overlay with upper layers on disk failed; using a tmpfs for them" >&2
  [ $var = 0 ] || umount /var || exit 1
  mount -t tmpfs -o mode=0755 tmpfs "$R" || exit 1
  mkdir -p "$R/var.upper" "$R/var.work" "$R/run.upper" "$R/run.work" || exit 1
  overlay /var var && overlay /run run || exit 1
fi
mount --bind "$I/etc/libvirt" /etc/libvirt &&
  mount --bind "$I/etc/passwd" /etc/passwd &&
  mount --bind "$I/etc/group" /etc/group &&
  mkdir -p /var/log/libvirt/qemu /var/lib/libvirt /var/cache/libvirt /run/libvirt || exit 1
echo $$ >"$I/run/nsholder.pid"
trap "kill \$! 2>/dev/null; exit 0" TERM INT HUP
while :; do sleep 3600 & wait $!; done
'

holder_tag() { echo "virtwire-nsholder[$1]"; }

# fresh_root INSTDIR MIGRATIONPORT: reset the daemon's private /etc/libvirt, /var, /run
# (its QEMUs listen for incoming migrations on MIGRATIONPORT..+9)
fresh_root() {
  local inst=$1 f
  rm -rf "${inst:?}/sysroot" "${inst:?}/etc"
  mkdir -p "$inst/sysroot"/{var,run}.{upper,work} "$inst/etc/libvirt"
  # only the host's top-level config files, never its defined objects
  for f in /etc/libvirt/*.conf; do
    [ -e "$f" ] && cp "$f" "$inst/etc/libvirt/"
  done
  cat >"$inst/etc/libvirt/qemu.conf" <<'EOF'
# virtwire sandbox: guests without cgroups, systemd, virtlogd or a security driver
user = "root"
group = "root"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
security_driver = "none"
remember_owner = 0
EOF
  printf 'migration_port_min = %s\nmigration_port_max = %s\n' "$2" $(($2 + 9)) \
    >>"$inst/etc/libvirt/qemu.conf"
  # The qemu driver refuses to load (taking the whole daemon down) unless
  # its build-time user libvirt-qemu exists; libvirt-daemon-system would
  # create it, we only give the daemon's view of /etc/passwd one.
  cp /etc/passwd "$inst/etc/passwd"
  cp /etc/group "$inst/etc/group"
  getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$inst/etc/group"
  getent passwd libvirt-qemu >/dev/null ||
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>"$inst/etc/passwd"
}

port_check() { # port_check PORT VARNAME SERVICE ("none": no port)
  [ "$1" != none ] || return 0
  if ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
    fail "$3" "port $1 is already in use by another process (choose another with $2=...)"
  fi
}

# all ports of services not running yet must be free, before starting any
preflight_ports() {
  if ! pid_of "$DIR/run/libvirtd.pid" "$DIR/libvirtd.conf" >/dev/null; then
    port_check "$TCP_PORT" VIRTWIRE_TCP_PORT "libvirtd (main)"
    port_check "$TLS_PORT" VIRTWIRE_TLS_PORT "libvirtd (main)"
  fi
  if ! pid_of "$DIR/sasl/run/libvirtd.pid" "$DIR/sasl/libvirtd.conf" >/dev/null; then
    port_check "$SASL_TCP_PORT" VIRTWIRE_SASL_TCP_PORT "libvirtd (sasl)"
    port_check "$SASL_TLS_PORT" VIRTWIRE_SASL_TLS_PORT "libvirtd (sasl)"
  fi
  if ! pid_of "$DIR/run/sshd.pid" "$DIR/ssh/sshd_config" >/dev/null; then
    port_check "$SSH_PORT" VIRTWIRE_SSH_PORT sshd
  fi
  if ! pid_of "$DIR/run/sshd-password.pid" "$DIR/ssh/sshd_password_config" >/dev/null; then
    port_check "$SSH_PASSWORD_PORT" VIRTWIRE_SSH_PASSWORD_PORT "sshd (password)"
  fi
}

# start_libvirtd NAME INSTDIR AUTH TCP TCPVAR TLS TLSVAR [ENV=VALUE...]
# (TCP and TLS "none": no listener; $HOST_UUID, if set: the daemon's host_uuid)
start_libvirtd() {
  local name=$1 inst=$2 auth=$3 tcp=$4 tcpvar=$5 tls=$6 tlsvar=$7
  shift 7
  local service="libvirtd ($name)" conf=$inst/libvirtd.conf holder tag i
  tag=$(holder_tag "$inst")
  mkdir -p "$inst/run" "$inst/log"
  write_libvirtd_conf "$inst" "$auth" "$tcp" "$tls" "${HOST_UUID:-}" >"$conf.new"

  if pid_of "$inst/run/libvirtd.pid" "$conf" >/dev/null; then
    if ! cmp -s "$conf.new" "$conf"; then
      rm -f "$conf.new"
      fail "$service" "already running with other settings than now asked for (ports?; its configuration: $conf); stop the sandbox first"
    fi
    rm -f "$conf.new"
    return 0
  fi
  mv "$conf.new" "$conf"
  port_check "$tcp" "$tcpvar" "$service"
  port_check "$tls" "$tlsvar" "$service"
  rm -f "$inst/run/libvirtd.pid" "$inst"/run/libvirt-*sock*

  # The namespace outlives libvirtd restarts on purpose: QEMU monitor sockets
  # bound under one overlay mount cannot be connected to through a second
  # mount of the same layers, so a restarted libvirtd must reuse the mounts
  # to reconnect to guests still running. A new namespace means fresh state.
  if ! holder=$(pid_of "$inst/run/nsholder.pid" "$tag"); then
    rm -f "$inst/run/nsholder.pid"
    fresh_root "$inst" "${MIGRATION_PORTS:-$MIGRATION_PORT}"
    : >"$inst/log/libvirtd.log"
    : >"$inst/log/libvirtd.out"
    : >"$inst/log/nsholder.log"
    setsid unshare --mount --propagation private sh -c "$HOLDER_SCRIPT" "$tag" "$inst" \
      </dev/null >>"$inst/log/nsholder.log" 2>&1 9>&- &
    for ((i = 0; i < 200; i++)); do
      holder=$(pid_of "$inst/run/nsholder.pid" "$tag") && break
      sleep 0.025
    done
    [ -n "$holder" ] || fail "$service" "could not set up its mount namespace" "$inst/log/nsholder.log"
  fi

  # tini -s reaps exited QEMU processes at once (this machine's init reaps
  # orphans only every second or two, which makes 'destroy' slow); libvirtd
  # stays in the foreground under it.
  env "$@" setsid nsenter --mount="/proc/$holder/ns/mnt" -- \
    tini -s -- /usr/sbin/libvirtd --listen -f "$conf" -p "$inst/run/libvirtd.pid" \
    </dev/null >>"$inst/log/libvirtd.out" 2>&1 9>&- &
  echo $! >"$inst/run/launcher.pid"
}

# whether to run the "dest" libvirtd (VIRTWIRE_SANDBOX_DEST, default 1)
dest_wanted() { [ "${VIRTWIRE_SANDBOX_DEST:-1}" != 0 ]; }

# The "dest" libvirtd: the qemu driver again, in a namespace of its own, with a
# host UUID of its own (made once, kept in DIR/dest/host-uuid) and no network
# listener.
start_dest() {
  local d=$DIR/dest uuid
  mkdir -p "$d"
  if [ ! -s "$d/host-uuid" ]; then
    uuid=$(cat /proc/sys/kernel/random/uuid)
    echo "$uuid" >"$d/host-uuid.new"
    mv "$d/host-uuid.new" "$d/host-uuid"
  fi
  uuid=$(cat "$d/host-uuid")
  HOST_UUID=$uuid MIGRATION_PORTS=$((MIGRATION_PORT + 10)) start_libvirtd dest "$d" none none VIRTWIRE_TCP_PORT none VIRTWIRE_TLS_PORT
}

start_sasl_files() {
  local s=$DIR/sasl
  mkdir -p "$s/sasl2"
  # server side: SASL_CONF_PATH points libvirtd's cyrus-sasl at this libvirt.conf
  printf 'mech_list: scram-sha-256 digest-md5 plain\nsasldb_path: %s\n' "$s/passwd.db" >"$s/sasl2/libvirt.conf"
  if ! pid_of "$s/run/libvirtd.pid" "$s/libvirtd.conf" >/dev/null; then
    # the realm is the host name: rebuild so a renamed host still works
    rm -f "$s/passwd.db"
    printf '%s' "$SASL_PASSWORD" | saslpasswd2 -f "$s/passwd.db" -a libvirt -p -c "$SASL_USER" ||
      fail "libvirtd (sasl)" "saslpasswd2 could not create $s/passwd.db"
  fi
  # client side, for LIBVIRT_AUTH_FILE
  cat >"$s/auth.conf" <<EOF
[credentials-sandbox]
authname=$SASL_USER
password=$SASL_PASSWORD

[auth-libvirt-localhost]
credentials=sandbox

[auth-libvirt-127.0.0.1]
credentials=sandbox

[auth-libvirt-$(hostname)]
credentials=sandbox

[auth-libvirt-default]
credentials=sandbox
EOF
}

# Script run by an sshd's launcher: $1 is DIR, $2 the sshd configuration, $3
# its log, $4 (optional) the file to use as /etc/shadow.
# shellcheck disable=SC2016
SSHD_SCRIPT='
D=$1
mount -t tmpfs -o mode=0755 tmpfs /run &&
  mkdir -m 0755 /run/sshd /run/libvirt || exit 1
# remote commands that use the default socket (virt-ssh-helper, nc without
# socket=) find the sandbox libvirtd there
for s in libvirt-sock libvirt-sock-ro libvirt-admin-sock; do
  ln -s "$D/run/$s" "/run/libvirt/$s" || exit 1
done
if [ -n "${4:-}" ]; then
  mount --bind "$4" /etc/shadow || exit 1
fi
/usr/sbin/sshd -t -f "$2" || exit 1
exec /usr/sbin/sshd -D -f "$2" -E "$3"
'

# make_shadow FILE: an /etc/shadow with root alone, its password the one in
# DIR/ssh/root-password (SHA-512 crypt, never expiring)
make_shadow() {
  local hash
  if ! hash=$(openssl passwd -6 -stdin <"$DIR/ssh/root-password") || [[ $hash != \$6\$* ]]; then
    fail "sshd (password)" "openssl passwd -6 could not hash the root password"
  fi
  (umask 077 && printf 'root:%s:%s:0:::::\n' "$hash" $((EPOCHSECONDS / 86400)) >"$1.new")
  mv "$1.new" "$1"
}

# start_one_sshd NAME CONFIG PIDFILE LAUNCHERPIDFILE LOGNAME PORT PORTVAR [SHADOW]
start_one_sshd() {
  local name=$1 conf=$2 pidfile=$3 launcher=$4 log=$DIR/log/$5 port=$6 portvar=$7 shadow=${8:-}
  local running=0
  pid_of "$pidfile" "$conf" >/dev/null && running=1
  if [ $running = 1 ] && ! cmp -s "$conf.new" "$conf"; then
    rm -f "$conf.new"
    fail "$name" "already running with other settings than now asked for (port?; its configuration: $conf); stop the sandbox first"
  fi
  mv "$conf.new" "$conf"
  [ $running = 0 ] || return 0

  port_check "$port" "$portvar" "$name"
  [ -z "$shadow" ] || make_shadow "$shadow"
  rm -f "$pidfile"
  : >"$log.log"
  : >"$log.out"
  # its own namespace, for a private /run (privsep dir, libvirt socket links)
  # and /etc/shadow
  setsid unshare --mount --propagation private sh -c "$SSHD_SCRIPT" sandbox-sshd \
    "$DIR" "$conf" "$log.log" ${shadow:+"$shadow"} </dev/null >>"$log.out" 2>&1 9>&- &
  echo $! >"$launcher"
}

start_sshd() {
  local s=$DIR/ssh
  # one host key, both ports
  echo "[127.0.0.1]:$SSH_PORT,[localhost]:$SSH_PORT,[127.0.0.1]:$SSH_PASSWORD_PORT,[localhost]:$SSH_PASSWORD_PORT $(cut -d' ' -f1,2 "$s/host_ed25519_key.pub")" >"$s/known_hosts.new"
  mv "$s/known_hosts.new" "$s/known_hosts"
  start_one_sshd sshd "$s/sshd_config" "$DIR/run/sshd.pid" "$DIR/run/sshd-launcher.pid" \
    sshd "$SSH_PORT" VIRTWIRE_SSH_PORT
  start_one_sshd "sshd (password)" "$s/sshd_password_config" "$DIR/run/sshd-password.pid" \
    "$DIR/run/sshd-password-launcher.pid" sshd-password "$SSH_PASSWORD_PORT" \
    VIRTWIRE_SSH_PASSWORD_PORT "$s/shadow"
}

# ------------------------------------------------------------------ start: wait

# await SERVICE LAUNCHERPIDFILE "LOG..." COMMAND...: retry COMMAND until it
# succeeds; give up early when the launched process has exited.
await() {
  local service=$1 launcher=$2 logs=$3 out pid deadline=$((SECONDS + WAIT_SECS))
  shift 3
  pid=$(tr -dc 0-9 <"$launcher" 2>/dev/null || true)
  while :; do
    out=$(timeout 10 "$@" </dev/null 2>&1) && return 0
    if ! running "$pid"; then
      # shellcheck disable=SC2086
      fail "$service" "exited during startup (probe: $*: ${out:-no output})" $logs
    fi
    if ((SECONDS >= deadline)); then
      # shellcheck disable=SC2086
      fail "$service" "not answering after ${WAIT_SECS}s (probe: $*: ${out:-no output})" $logs
    fi
    sleep 0.05
  done
}

write_env() {
  local f=$DIR/env
  put() { printf 'export %s=%q\n' "$1" "$2"; }
  # it holds the sandbox's passwords: readable by the owner only
  install -m 600 /dev/null "$f.tmp"
  {
    echo "# virtwire test sandbox, written by scripts/sandbox.sh start; source it"
    put VIRTWIRE_SANDBOX "$DIR"
    put VIRTWIRE_SOCKET "$DIR/run/libvirt-sock"
    put VIRTWIRE_SOCKET_RO "$DIR/run/libvirt-sock-ro"
    put VIRTWIRE_ADMIN_SOCKET "$DIR/run/libvirt-admin-sock"
    put VIRTWIRE_TCP_PORT "$TCP_PORT"
    put VIRTWIRE_TLS_PORT "$TLS_PORT"
    put VIRTWIRE_PKI "$DIR/pki"
    put VIRTWIRE_PKI_WRONGCA "$DIR/pki-wrongca"
    put VIRTWIRE_SASL_SOCKET "$DIR/sasl/run/libvirt-sock"
    put VIRTWIRE_SASL_TCP_PORT "$SASL_TCP_PORT"
    put VIRTWIRE_SASL_TLS_PORT "$SASL_TLS_PORT"
    put VIRTWIRE_SASL_USER "$SASL_USER"
    put VIRTWIRE_SASL_PASSWORD "$SASL_PASSWORD"
    put VIRTWIRE_SASL_AUTH_FILE "$DIR/sasl/auth.conf"
    put VIRTWIRE_SSH_PORT "$SSH_PORT"
    put VIRTWIRE_SSH_KEY "$DIR/ssh/id_ed25519"
    put VIRTWIRE_SSH_KNOWN_HOSTS "$DIR/ssh/known_hosts"
    put VIRTWIRE_SSH_WRAPPER "$DIR/ssh/ssh-wrapper"
    put VIRTWIRE_SSH_PASSWORD_PORT "$SSH_PASSWORD_PORT"
    put VIRTWIRE_SSH_PASSWORD "$(cat "$DIR/ssh/root-password")"
    put VIRTWIRE_GUEST_XML "$DIR/guest/guest.xml"
    put VIRTWIRE_MIGRATION_PORT "$MIGRATION_PORT"
    if dest_wanted; then
      put VIRTWIRE_DEST_SOCKET "$DIR/dest/run/libvirt-sock"
    fi
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

cmd_start() {
  local t0=${EPOCHREALTIME//[^0-9]/} b main sasl us
  [ "$(id -u)" = 0 ] || die "start must run as root (libvirtd as root, sshd, mount namespaces)"
  for b in /usr/sbin/libvirtd virsh virt-admin certtool /usr/sbin/sshd ssh ssh-keygen \
    saslpasswd2 openssl tini unshare nsenter setsid flock ss timeout; do
    command -v "$b" >/dev/null || die "missing $b; run scripts/install-deps.sh"
  done
  [ -d /etc/libvirt ] || die "missing /etc/libvirt; run scripts/install-deps.sh"
  load_ports
  set_dir create
  lock_dir 120
  mkdir -p "$DIR"/{run,log,nodes}
  preflight_ports

  make_pki
  make_ssh_files
  # the TCG guest of the qemu driver's tests (built once, then cached in DIR/guest)
  bash "$(dirname "${BASH_SOURCE[0]}")/guest.sh" build "$DIR/guest" ||
    fail "guest (scripts/guest.sh)" "building the test guest failed"
  start_libvirtd main "$DIR" none "$TCP_PORT" VIRTWIRE_TCP_PORT "$TLS_PORT" VIRTWIRE_TLS_PORT
  start_sasl_files
  start_libvirtd sasl "$DIR/sasl" sasl "$SASL_TCP_PORT" VIRTWIRE_SASL_TCP_PORT \
    "$SASL_TLS_PORT" VIRTWIRE_SASL_TLS_PORT SASL_CONF_PATH="$DIR/sasl/sasl2"
  if dest_wanted; then
    start_dest
  fi
  start_sshd

  main="$DIR/log/libvirtd.log $DIR/log/libvirtd.out"
  sasl="$DIR/sasl/log/libvirtd.log $DIR/sasl/log/libvirtd.out"
  local run=$DIR/run/libvirt-sock srun=$DIR/sasl/run/libvirt-sock
  local auth=LIBVIRT_AUTH_FILE=$DIR/sasl/auth.conf
  local l=$DIR/run/launcher.pid sl=$DIR/sasl/run/launcher.pid
  # the first probe waits for startup; the others check each listener
  await "libvirtd (main), unix socket" "$l" "$main" virsh -c "test+unix:///default?socket=$run" uri
  await "libvirtd (main), read-only socket" "$l" "$main" virsh -r -c "test+unix:///default?socket=$run-ro" uri
  await "libvirtd (main), admin socket" "$l" "$main" virt-admin -c "libvirtd:///system?socket=$DIR/run/libvirt-admin-sock" srv-list
  await "libvirtd (main), qemu driver" "$l" "$main" virsh -c "qemu+unix:///system?socket=$run" uri
  await "libvirtd (main), tcp 127.0.0.1:$TCP_PORT" "$l" "$main" virsh -c "test+tcp://127.0.0.1:$TCP_PORT/default" uri
  await "libvirtd (main), tls 127.0.0.1:$TLS_PORT" "$l" "$main" virsh -c "test+tls://localhost:$TLS_PORT/default?pkipath=$DIR/pki" uri
  await "libvirtd (sasl), unix socket" "$sl" "$sasl" env "$auth" virsh -c "test+unix:///default?socket=$srun" uri
  await "libvirtd (sasl), tcp 127.0.0.1:$SASL_TCP_PORT" "$sl" "$sasl" env "$auth" virsh -c "test+tcp://127.0.0.1:$SASL_TCP_PORT/default" uri
  await "libvirtd (sasl), tls 127.0.0.1:$SASL_TLS_PORT" "$sl" "$sasl" env "$auth" virsh -c "test+tls://localhost:$SASL_TLS_PORT/default?pkipath=$DIR/pki" uri
  if dest_wanted; then
    await "libvirtd (dest), qemu driver" "$DIR/dest/run/launcher.pid" \
      "$DIR/dest/log/libvirtd.log $DIR/dest/log/libvirtd.out" \
      virsh -c "qemu+unix:///system?socket=$DIR/dest/run/libvirt-sock" uri
  fi
  await "sshd 127.0.0.1:$SSH_PORT" "$DIR/run/sshd-launcher.pid" "$DIR/log/sshd.log $DIR/log/sshd.out" \
    "$DIR/ssh/ssh-wrapper" -p "$SSH_PORT" root@127.0.0.1 true
  # root's password, through ssh's askpass program, and nothing else
  await "sshd (password) 127.0.0.1:$SSH_PASSWORD_PORT" "$DIR/run/sshd-password-launcher.pid" \
    "$DIR/log/sshd-password.log $DIR/log/sshd-password.out" \
    env SSH_ASKPASS="$DIR/ssh/askpass" SSH_ASKPASS_REQUIRE=force \
    "$DIR/ssh/ssh-wrapper" -p "$SSH_PASSWORD_PORT" -o BatchMode=no -o PubkeyAuthentication=no \
    -o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 root@127.0.0.1 true

  write_env
  us=$((${EPOCHREALTIME//[^0-9]/} - t0))
  local dest=""
  if dest_wanted; then
    dest=", dest libvirtd pid $(cat "$DIR/dest/run/libvirtd.pid")"
  fi
  say "ready in $((us / 1000000)).$(printf '%02d' $((us % 1000000 / 10000)))s: libvirtd pid $(cat "$DIR/run/libvirtd.pid"), sasl libvirtd pid $(cat "$DIR/sasl/run/libvirtd.pid")$dest, sshd pids $(cat "$DIR/run/sshd.pid") $(cat "$DIR/run/sshd-password.pid")"
  say "environment: $DIR/env"
}

# ------------------------------------------------------------------ stop

# mount namespace of PID, unless it is ours (never sweep the host's)
private_ns() {
  local ns
  ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || return 1
  [ "$ns" != "$(readlink /proc/self/ns/mnt)" ] || return 1
  echo "$ns"
}

# kill every process left in the namespaces in NSLIST (guests whose destroy
# failed, ssh sessions, helpers): they can only be ours
sweep_namespaces() {
  local pass p ns left
  for pass in TERM TERM TERM TERM KILL; do
    left=()
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      ns=$(readlink "/proc/$p/ns/mnt" 2>/dev/null) || continue
      [[ " $NSLIST " == *" $ns "* ]] && running "$p" && left+=("$p")
    done
    [ ${#left[@]} -eq 0 ] && return 0
    if [ "$pass" = KILL ]; then
      warn "killing leftover processes in the sandbox namespaces: ${left[*]}"
    else
      say "stopping leftover processes in the sandbox namespaces: ${left[*]}"
    fi
    kill "-$pass" "${left[@]}" 2>/dev/null || true
    sleep 1
  done
}

cmd_stop() {
  local inst name pid f guest uri
  if ! set_dir existing; then
    say "$DIR does not exist; nothing to stop"
    return 0
  fi
  lock_dir 60 soft
  rm -f "$DIR/env"

  NSLIST=""
  for f in "$DIR/run/nsholder.pid:$(holder_tag "$DIR")" \
    "$DIR/sasl/run/nsholder.pid:$(holder_tag "$DIR/sasl")" \
    "$DIR/dest/run/nsholder.pid:$(holder_tag "$DIR/dest")" \
    "$DIR/run/libvirtd.pid:$DIR/libvirtd.conf" \
    "$DIR/sasl/run/libvirtd.pid:$DIR/sasl/libvirtd.conf" \
    "$DIR/dest/run/libvirtd.pid:$DIR/dest/libvirtd.conf" \
    "$DIR/run/sshd.pid:$DIR/ssh/sshd_config" \
    "$DIR/run/sshd-launcher.pid:$DIR/ssh/sshd_config" \
    "$DIR/run/sshd-password.pid:$DIR/ssh/sshd_password_config" \
    "$DIR/run/sshd-password-launcher.pid:$DIR/ssh/sshd_password_config"; do
    pid=$(pid_of "${f%%:*}" "${f#*:}") || continue
    NSLIST+=" $(private_ns "$pid" || true)"
  done

  # QEMU guests outlive libvirtd by design: destroy them while it still runs
  for inst in "$DIR" "$DIR/sasl" "$DIR/dest"; do
    pid_of "$inst/run/libvirtd.pid" "$inst/libvirtd.conf" >/dev/null || continue
    uri="qemu+unix:///system?socket=$inst/run/libvirt-sock"
    for guest in $(LIBVIRT_AUTH_FILE=$DIR/sasl/auth.conf timeout 20 virsh -c "$uri" list --name </dev/null 2>/dev/null); do
      if LIBVIRT_AUTH_FILE=$DIR/sasl/auth.conf timeout 20 virsh -q -c "$uri" destroy "$guest" </dev/null >/dev/null 2>&1; then
        say "destroyed guest $guest"
      else
        warn "could not destroy guest $guest (will be killed with its namespace)"
      fi
    done
  done

  stop_pidfile "$DIR/run/sshd.pid" "$DIR/ssh/sshd_config" sshd
  stop_pidfile "$DIR/run/sshd-launcher.pid" "$DIR/ssh/sshd_config" "sshd launcher"
  stop_pidfile "$DIR/run/sshd-password.pid" "$DIR/ssh/sshd_password_config" "sshd (password)"
  stop_pidfile "$DIR/run/sshd-password-launcher.pid" "$DIR/ssh/sshd_password_config" \
    "sshd (password) launcher"
  for inst in "$DIR/dest" "$DIR/sasl" "$DIR"; do
    name=${inst#"$DIR"}
    name=${name#/}
    name=${name:-main}
    stop_pidfile "$inst/run/libvirtd.pid" "$inst/libvirtd.conf" "libvirtd ($name)"
    # tini normally exits with libvirtd; it is also the one to stop when
    # libvirtd never got as far as writing its pid file
    stop_pidfile "$inst/run/launcher.pid" "$inst/libvirtd.conf" "libvirtd ($name) launcher"
    stop_pidfile "$inst/run/nsholder.pid" "$(holder_tag "$inst")" "namespace holder ($name)"
  done
  if [ -n "${NSLIST// /}" ]; then
    sweep_namespaces
  fi
  rm -rf "$DIR/nodes"
  rm -f "$DIR"/run/libvirt-*sock* "$DIR"/sasl/run/libvirt-*sock* "$DIR"/dest/run/libvirt-*sock*
  say "stopped ($DIR)"
}

cmd_env() {
  set_dir existing || die "sandbox directory $DIR does not exist; run: bash $0 start"
  [ -s "$DIR/env" ] || die "$DIR/env is missing: the sandbox is not started; run: bash $0 start"
  echo "$DIR/env"
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  usage
fi
DIR=${2:-${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-sandbox}}
case $1 in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *) usage ;;
esac
