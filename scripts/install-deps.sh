#!/usr/bin/env bash
# scripts/install-deps.sh — install the Debian packages the virtwire test
# sandbox needs (scripts/sandbox.sh), and those the build needs with all
# features. Only missing packages are installed;
# when everything is already present this is a quick no-op that needs
# neither root nor the network.
set -euo pipefail

PACKAGES=(
  libvirt-daemon    # libvirtd (monolithic daemon) + qemu driver
  libvirt-clients   # virsh, virt-admin, virt-ssh-helper
  gnutls-bin        # certtool, for the sandbox PKI
  openssh-server    # sshd for the ssh transport
  openssh-client
  netcat-openbsd    # nc -U, libvirt's netcat proxy over ssh
  sasl2-bin         # saslpasswd2
  libsasl2-modules  # SCRAM, DIGEST-MD5, PLAIN mechanisms
  tini              # subreaper around libvirtd
  bc
  openssl           # sandbox: the password sshd's root password hash
  python3           # scripts/wire-check.py (the byte-level conformance check)
  iproute2          # ss, to check ports
  tshark            # the byte-level conformance check (tests/conformance_wire.rs)
  libvirt-wireshark # libvirt dissector for tshark
  # the build with the cargo feature libssh2 (CI builds with --all-features): libssh2-sys
  # compiles its bundled libssh2 (with gcc) against the system's OpenSSL
  libssl-dev
  pkg-config
  # tests/independent_encoder.rs compiles a small C program that loads libvirt's client
  # library (libvirt0) with dlopen: no libvirt headers needed
  gcc
  libc6-dev
  libvirt0
  # the static rvirsh (cargo build --target x86_64-unknown-linux-musl): musl-gcc for the C parts
  musl-tools
  # the TCG guest (scripts/guest.sh): QEMU itself and what builds the initramfs; the guest's
  # kernel is a Debian package downloaded and unpacked there, never installed
  qemu-system-x86
  busybox-static
  cpio
  xz-utils
  kmod
)

say() { echo "install-deps: $*" >&2; }

# installed_version PKG: its version if it is installed, else nothing
installed_version() {
  { dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null || true; } | sed -n 's/^ii *//p'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  [ -n "$(installed_version "$pkg")" ] || missing+=("$pkg")
done

# qemu-utils (qemu-img, which libvirt's storage driver runs) must be the build of the installed
# QEMU: a newer backport of qemu-utils conflicts with Debian's qemu-system-x86, so it is pinned
# to (and, if need be, downgraded to) the version of qemu-system-x86 that apt installs.
qemu_pin=()
qemu_version=$(installed_version qemu-system-x86)
if [ -z "$qemu_version" ]; then
  qemu_version=$(apt-cache policy qemu-system-x86 2>/dev/null | sed -n 's/^ *Candidate: *//p')
fi
if [ -n "$qemu_version" ] && [ "$qemu_version" != "(none)" ] &&
  [ "$(installed_version qemu-utils)" != "$qemu_version" ]; then
  qemu_pin=("qemu-utils=$qemu_version")
  missing+=("${qemu_pin[@]}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

say "missing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  say "must run as root to install them (or install them yourself)"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it up front.
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
  debconf-set-selections 2>/dev/null || true

LOCK_OPT=(-o DPkg::Lock::Timeout=300)

# apt-get update does not honour DPkg::Lock::Timeout for the lists lock: while
# another apt/dpkg process holds it, retry (up to ~5 minutes). Other failures
# (network, broken sources) are reported at once.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for attempt in $(seq 1 60); do
  if apt-get "${LOCK_OPT[@]}" update -q 2>&1 | tee "$log"; then
    break
  fi
  if ! grep -qi 'lock' "$log" || [ "$attempt" = 60 ]; then
    say "apt-get update failed"
    exit 1
  fi
  say "apt lists are locked by another process, retrying in 5 s"
  sleep 5
done

# the pin may have been computed from stale lists: compute it again after the update
if [ ${#qemu_pin[@]} -gt 0 ] || [[ " ${missing[*]} " == *" qemu-system-x86 "* ]]; then
  qemu_version=$(installed_version qemu-system-x86)
  [ -n "$qemu_version" ] || qemu_version=$(apt-cache policy qemu-system-x86 | sed -n 's/^ *Candidate: *//p')
  missing=("${missing[@]/#qemu-utils=*/}")
  missing+=("qemu-utils=$qemu_version")
fi
apt-get install -y --no-install-recommends --allow-downgrades "${LOCK_OPT[@]}" ${missing[@]}
say "installed: ${missing[*]}"
