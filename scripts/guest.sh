#!/usr/bin/env bash
# scripts/guest.sh build DIR
#
# A tiny Linux guest for the sandbox's qemu driver, run under TCG (no KVM needed), for the
# tests the test driver cannot serve (console, screenshot, ...). Builds, once, into DIR:
#   DIR/vmlinux     Debian's kernel, the uncompressed ELF out of its bzImage: QEMU boots it
#                   directly through PVH, skipping the slow in-guest decompression under TCG
#   DIR/initrd.img  static busybox as /init, the virtio modules, a root shell on ttyS0
#   DIR/guest.xml   a domain XML (type qemu) booting them; its name is virtwire-guest
# The kernel package is downloaded (apt-get download) and unpacked, never installed. A later
# call with the same kernel package and the same version of this script does nothing.
# Needs: busybox-static, cpio, xz-utils, kmod (scripts/install-deps.sh), apt lists.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

ME=guest
say() { echo "$ME: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# The modules the guest loads (with what they depend on): disks, NICs, balloon, channels.
MODULES="virtio_pci virtio_blk virtio_net virtio_balloon virtio_console"

# The init program. It prints READY_MARKER on the serial console once up, then keeps a shell
# on it, so that a test can prove both directions of the console.
READY_MARKER=virtwire-guest-ready

kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: *\(linux-image-[0-9].*\)$/\1/p' | head -n1
}

# unpack_kernel PKG WORK: the package's files under WORK/root
unpack_kernel() {
  local pkg=$1 work=$2 deb
  (cd "$work" && apt-get download -q "$pkg" >"$work/download.log" 2>&1) ||
    die "cannot download $pkg (apt-get download); see $work/download.log: $(tail -n 3 "$work/download.log")"
  deb=$(ls "$work"/*.deb)
  dpkg-deb -x "$deb" "$work/root"
}

# pvh_elf BZIMAGE OUT: the bzImage's payload (an XZ stream) decompressed: the kernel's ELF,
# which QEMU boots through its PVH entry point.
pvh_elf() {
  local offset
  offset=$({ LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$1" || true; } | head -n1 | cut -d: -f1)
  [ -n "$offset" ] || die "no XZ payload in $1"
  tail -c +"$((offset + 1))" "$1" | xz -dc --single-stream >"$2" 2>/dev/null || true
  [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || die "the payload of $1 is not an ELF"
}

# module_closure ROOT KVER: the .ko paths (relative to ROOT/lib/modules/KVER) of MODULES and
# their dependencies, dependencies first, from modules.dep
module_closure() {
  local base=$1/lib/modules/$2 seen=" " m
  visit() {
    local path deps d
    path=$(grep -E "(^|/)$1\.ko(\.xz)?:" "$base/modules.dep" | head -n1 | cut -d: -f1) || true
    [ -n "$path" ] || return 0 # built into the kernel
    [[ $seen == *" $path "* ]] && return 0
    deps=$(grep -E "^$path:" "$base/modules.dep" | cut -d: -f2)
    for d in $deps; do
      d=$(basename "$d")
      visit "${d%%.ko*}"
    done
    seen+="$path "
    echo "$path"
  }
  for m in $MODULES; do
    visit "$m"
  done
}

write_init() {
  cat >"$1" <<INIT
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in \$(cat /lib/modules/load); do insmod /lib/modules/\$m 2>/dev/null; done
hostname guest
echo "$READY_MARKER"
while true; do setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'; done
INIT
  chmod 755 "$1"
}

# make_initrd ROOT KVER OUT
make_initrd() {
  local kroot=$1 kver=$2 out=$3 r rel b
  r=$(mktemp -d)
  mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
  cp /bin/busybox "$r/bin/busybox"
  # busybox lists itself among its applets: a link over the binary would break the guest
  for b in $("$r/bin/busybox" --list); do
    [ "$b" = busybox ] || ln -sf busybox "$r/bin/$b"
  done
  : >"$r/lib/modules/load"
  for rel in $(module_closure "$kroot" "$kver"); do
    b=$(basename "$rel")
    case $b in
      *.xz) xz -dc "$kroot/lib/modules/$kver/$rel" >"$r/lib/modules/${b%.xz}" && b=${b%.xz} ;;
      *) cp "$kroot/lib/modules/$kver/$rel" "$r/lib/modules/$b" ;;
    esac
    echo "$b" >>"$r/lib/modules/load"
  done
  write_init "$r/init"
  (cd "$r" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
  rm -rf "$r"
}

write_xml() {
  local dir=$1
  cat >"$dir/guest.xml" <<XML
<domain type='qemu'>
  <name>virtwire-guest</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$dir/vmlinux</kernel>
    <initrd>$dir/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc'><listen type='none'/></graphics>
    <video><model type='vga'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

cmd_build() {
  local dir=$1 pkg stamp work kver
  for b in apt-get apt-cache dpkg-deb depmod cpio xz gzip /bin/busybox; do
    command -v "$b" >/dev/null || die "missing $b; run scripts/install-deps.sh"
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  pkg=$(kernel_package)
  [ -n "$pkg" ] || die "apt knows no linux-image-amd64 (run apt-get update)"
  stamp="$pkg $(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
  if [ -s "$dir/vmlinux" ] && [ -s "$dir/initrd.img" ] && [ -s "$dir/guest.xml" ] &&
    [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: work is local
  trap "rm -rf '$work'" EXIT
  say "building the guest in $dir ($pkg)"
  unpack_kernel "$pkg" "$work"
  kver=$(ls "$work/root/lib/modules" | head -n1)
  # the package ships no modules.dep (its postinst would make it)
  depmod -b "$work/root" "$kver"
  pvh_elf "$work/root/boot/vmlinuz-$kver" "$dir/vmlinux.new"
  make_initrd "$work/root" "$kver" "$dir/initrd.img.new"
  mv "$dir/vmlinux.new" "$dir/vmlinux"
  mv "$dir/initrd.img.new" "$dir/initrd.img"
  write_xml "$dir"
  echo "$stamp" >"$dir/stamp"
  say "built: $(du -h "$dir/vmlinux" | cut -f1) kernel, $(du -h "$dir/initrd.img" | cut -f1) initrd"
}

case ${1:-} in
  build)
    [ $# = 2 ] || die "usage: $0 build DIR"
    cmd_build "$2"
    ;;
  *) die "usage: $0 build DIR" ;;
esac
