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
)

say() { echo "install-deps: $*" >&2; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ $status == ii* ]] || missing+=("$pkg")
done

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

apt-get install -y --no-install-recommends "${LOCK_OPT[@]}" "${missing[@]}"
say "installed: ${missing[*]}"
