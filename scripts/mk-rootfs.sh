#!/bin/sh
# mk-rootfs.sh DIR — a minimal busybox root filesystem for tests and benchmarks, with no network.
#
# Uses Debian's busybox-static (/bin/busybox, package busybox-static). DIR gets /bin/busybox and
# a symlink per applet (sh, true, echo, cat, ls, sleep, id, hostname, mount, ps, ...), /etc/passwd
# and /etc/group (root, nobody 65534), /etc/hostname, and empty /proc /sys /dev /tmp /root /run.
# Idempotent and fast (no fork per applet); does not need root. Prints nothing on success.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "mk-rootfs: $bb not found: apt-get install busybox-static" >&2; exit 1; }
# A dynamically linked busybox would not run inside the rootfs.
if ! "$bb" --list >/dev/null 2>&1; then echo "mk-rootfs: $bb is not busybox" >&2; exit 1; fi

mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/root" \
         "$dir/run" "$dir/var/tmp" "$dir/home"
chmod 1777 "$dir/tmp" "$dir/var/tmp"
chmod 700 "$dir/root"
if ! cmp -s "$bb" "$dir/bin/busybox"; then
  rm -f "$dir/bin/busybox"
  cp "$bb" "$dir/bin/busybox"
fi
# busybox --install -s writes absolute links to the host's real path of busybox
# (/usr/bin/busybox on merged-/usr Debian); make that path exist inside DIR as well.
[ -e "$dir/bin/sh" ] || "$bb" --install -s "$dir/bin"
target=$(readlink "$dir/bin/sh")
case $target in
  busybox|/bin/busybox) ;;
  /*) mkdir -p "$dir${target%/*}"
      [ -e "$dir$target" ] || ln "$dir/bin/busybox" "$dir$target" 2>/dev/null \
        || cp "$dir/bin/busybox" "$dir$target" ;;
  *) echo "mk-rootfs: unexpected applet link $target" >&2; exit 1 ;;
esac
[ -e "$dir/sbin" ] || ln -s bin "$dir/sbin"

cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dir/etc/group" <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
echo berth >"$dir/etc/hostname"
: >"$dir/etc/hosts"
: >"$dir/etc/resolv.conf"
