#!/bin/bash
# bench/soak.sh [--cycles N] [--every M] — berthd soak (issue 12): N cycles (default 400; the long
# run: --cycles 10000) of `docker run -d` / `docker exec` / `docker logs` / `docker rm -f` through
# the real docker CLI against a berthd of its own (temp --root/--exec-root/socket, its own cgroup
# parent, bridge and nftables table), sampling every M cycles (default 50): berthd's open fds,
# threads, heap used after a full GC (jcmd GC.run + GC.heap_info), RSS; the host's mounts and
# cgroups of this berthd, its runtime state dirs and monitor processes. Prints a table and the
# growth from the first sample to the last. Needs root, bin/berthd built, /usr/local/bin/docker.
# Everything it made is removed at the end (also on ^C).
set -euo pipefail
cycles=400
every=50
while [ $# -gt 0 ]; do
  case $1 in
    --cycles) cycles=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
docker=${DOCKER:-/usr/local/bin/docker}
[ -x "$here/bin/berthd" ] || { echo "soak.sh: $here/bin/berthd missing" >&2; exit 1; }
[ -x "$docker" ] || { echo "soak.sh: $docker missing" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "soak.sh: needs root" >&2; exit 1; }
. "$here/berth-api/target/berthd.conf"
jcmd=$(dirname "$BERTHD_JAVA")/jcmd
[ -x "$jcmd" ] || { echo "soak.sh: $jcmd missing" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-soak.XXXXXX)
chmod 755 "$tmp"
tag=$(printf '%07x' $((RANDOM * 32768 + RANDOM)))
parent="berth-soak-$tag"
bridge="bs$tag"
table="berth_soak_$tag"
a=$((100 + RANDOM % 60)); b=$((1 + RANDOM % 250))
export DOCKER_HOST="unix://$tmp/d.sock" DOCKER_CONFIG="$tmp/docker-config"
mkdir -p "$DOCKER_CONFIG"
pid=
cleanup() {
  set +e
  if [ -n "$pid" ]; then
    ids=$("$docker" ps -aq 2>/dev/null)
    [ -n "$ids" ] && "$docker" rm -f $ids >/dev/null 2>&1
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fi
  for h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -d "$h/$parent" ] && rmdir "$h/$parent" 2>/dev/null; done
  ip link del "$bridge" 2>/dev/null
  nft delete table inet "$table" 2>/dev/null
  grep -o " $tmp[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

sh "$here/scripts/mk-oci-image.sh" "$tmp/img" localhost/berth/soak:latest >/dev/null
BERTH_CGROUP_PARENT=$parent "$here/bin/berthd" -H "unix://$tmp/d.sock" --root "$tmp/lib" --exec-root "$tmp/run" \
  --bridge "$bridge" --bip "10.$a.$b.1/24" --default-address-pool "base=10.$((a + 64)).$b.0/24,size=28" \
  --nft-table "$table" >"$tmp/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -S "$tmp/d.sock" ] && break; sleep 0.05; done
[ -S "$tmp/d.sock" ] || { echo "soak.sh: berthd did not start:"; cat "$tmp/berthd.log"; exit 1; } >&2
"$docker" load -i "$tmp/img/image.tar" >/dev/null
img=localhost/berth/soak:latest

count_cgroups() {
  local n=0
  for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
    [ -d "$h/$parent" ] && n=$((n + $(find "$h/$parent" -mindepth 1 -type d 2>/dev/null | wc -l)))
  done
  echo $n
}
monitors() {
  local n=0 p
  for p in $(pgrep berth-lau 2>/dev/null); do
    ls -l /proc/$p/fd 2>/dev/null | grep -q " $tmp/" && n=$((n + 1))
  done
  echo $n
}
heap_after_gc() {
  "$jcmd" "$pid" GC.run >/dev/null 2>&1
  # serial GC: "DefNew total 3648K, used 530K [..." and "Tenured total 7876K, used 6985K [..." (not Metaspace)
  "$jcmd" "$pid" GC.heap_info 2>/dev/null | awk '/ total [0-9]+K, used / { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); s += v } } END { printf "%.1f", s / 1024 }'
}
sample() {
  local c=$1 fds thr rss heap
  fds=$(ls /proc/$pid/fd | wc -l)
  thr=$(awk '/^Threads:/ {print $2}' /proc/$pid/status)
  heap=$(heap_after_gc)
  rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)
  printf '%7s %6s %8s %10s %9s %7s %8s %7s %9s %6s\n' "$c" "$fds" "$thr" "$heap" "$rss" \
    "$(grep -c " $tmp/" /proc/self/mountinfo || true)" "$(count_cgroups)" \
    "$(ls "$tmp/run/runtime" 2>/dev/null | wc -l)" "$(monitors)" "$(( $(date +%s) - t0 ))" | tee -a "$tmp/samples"
}

echo "berthd soak: $cycles cycles of run -d / exec / logs / rm -f (docker CLI), sample every $every"
printf '%7s %6s %8s %10s %9s %7s %8s %7s %9s %6s\n' cycle fds threads heap_MiB rss_MiB mounts cgroups states monitors secs
t0=$(date +%s)
failures=0
sample 0
for c in $(seq 1 "$cycles"); do
  if id=$("$docker" run -d "$img" sh -c 'echo soak-out; echo soak-err >&2; sleep 30' 2>>"$tmp/errors"); then
    "$docker" exec "$id" true 2>>"$tmp/errors" || failures=$((failures + 1))
    out=$("$docker" logs "$id" 2>&1) || failures=$((failures + 1))
    case $out in *soak-out*) ;; *) failures=$((failures + 1)); echo "cycle $c: logs: $out" >>"$tmp/errors" ;; esac
    "$docker" rm -f "$id" >/dev/null 2>>"$tmp/errors" || failures=$((failures + 1))
  else
    failures=$((failures + 1))
  fi
  [ $((c % every)) -eq 0 ] && sample "$c"
done
secs=$(( $(date +%s) - t0 ))
echo "cycles: $cycles in ${secs}s ($(awk -v c="$cycles" -v s="$secs" 'BEGIN { printf "%.2f", s / c }') s/cycle), failures: $failures"
[ "$failures" -eq 0 ] || { echo "first errors:"; head -5 "$tmp/errors"; }
first=$(sed -n 2p "$tmp/samples"); last=$(tail -1 "$tmp/samples")
# growth from the first sample after warm-up (cycle $every) to the last
awk -v f="$first" -v l="$last" 'BEGIN { split(f, a); split(l, b);
  printf "growth from cycle %s to %s: fds %+d, threads %+d, heap %+.1f MiB, rss %+.1f MiB, mounts %+d, cgroups %+d, states %+d, monitors %+d\n",
    a[1], b[1], b[2]-a[2], b[3]-a[3], b[4]-a[4], b[5]-a[5], b[6]-a[6], b[7]-a[7], b[8]-a[8], b[9]-a[9] }'
[ "$failures" -eq 0 ]
