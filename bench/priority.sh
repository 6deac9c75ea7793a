#!/usr/bin/env bash
# bench/priority.sh — preemptive priority classes (issue 13, part 1) measured.
#
# Usage (as root, after ./mvnw -B package -DskipTests):
#   bench/priority.sh [--seconds N] [--hogs N]
# A latency-critical TCP echo service (busybox `nc -ll -e cat` in a container labelled
# berth.priority=latency-critical, host network, 127.0.0.1:PORT) under a closed-loop client (python3:
# one connection, 64-byte request, wait for the echo, next; every round trip timed) for N seconds
# (default 20) in each phase:
#   alone       the service alone
#   no-preempt  beside --hogs (default: the number of CPUs) best-effort CPU hogs, berthd --preempt-interval 0
#   immediate   the same, berthd --preempt-mode immediate (freeze)
#   graceful    the same, berthd --preempt-mode graceful (CFS quota halved per interval)
# Each hog counts in a busy shell loop into a bind-mounted file: the best-effort work done in the
# phase is the counts added, and its total shows that preempted work is kept (the same processes
# go on counting after the phase). Prints a table (p50, p99, requests, best-effort work, preempt
# and resume events) and the load average before and after: other work on the host shows there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
secs=20 hogs=$(nproc)
while (($#)); do
  case $1 in
    --seconds) secs=$2; shift 2;; --hogs) hogs=$2; shift 2;;
    -h|--help) sed -n '2,18p' "$0"; exit 0;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
for t in docker python3; do command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }; done
[[ $(id -u) == 0 ]] || { echo "bench: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-priority-bench.XXXXXX)
sock=unix://$work/berth.sock
export BERTH_CGROUP_PARENT=berth-bench-prio-$$
tag=$(printf '%x' $(( ($$ * 7919) % 65536 )))
bpid=
d() { DOCKER_HOST=$sock DOCKER_CONFIG=$work/docker-config docker "$@"; }
stop_berthd() {
  if [[ -n $bpid ]]; then
    d ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=$sock DOCKER_CONFIG=$work/docker-config docker rm -f >/dev/null 2>&1 || true
    kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null || true
    bpid=
  fi
}
cleanup() {
  stop_berthd
  for h in /sys/fs/cgroup/*/"$BERTH_CGROUP_PARENT"; do [[ -d $h ]] && rmdir "$h" 2>/dev/null; done
  ip link del "bp$tag" 2>/dev/null || true
  nft delete table inet "berth_bp_$tag" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/docker-config"
"$repo/scripts/mk-oci-image.sh" "$work/img" busybox:latest >/dev/null

start_berthd() { # flags...
  "$repo/bin/berthd" -H "$sock" --root "$work/root" --exec-root "$work/run" --bridge "bp$tag" \
    --bip "10.$((200 + RANDOM % 50)).$((RANDOM % 250 + 1)).1/24" --nft-table "berth_bp_$tag" "$@" 2>>"$work/berthd.log" &
  bpid=$!
  for _ in $(seq 300); do d version >/dev/null 2>&1 && break; sleep 0.1; done
  d image inspect busybox >/dev/null 2>&1 || d load -q -i "$work/img/image.tar" >/dev/null
}

port=$((20000 + RANDOM % 20000))
cat >"$work/client.py" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5); break
    except OSError:
        time.sleep(0.1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(30)
msg = b"x" * 63 + b"\n"
lat = []
end = time.monotonic() + secs
while time.monotonic() < end:
    t0 = time.perf_counter_ns()
    s.sendall(msg)
    got = 0
    while got < len(msg):
        b = s.recv(4096)
        if not b: raise SystemExit("echo closed")
        got += len(b)
    lat.append(time.perf_counter_ns() - t0)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000
print(f"{q(0.5):.0f} {q(0.99):.0f} {len(lat)}")
PY

counts() { # the hogs' counts added up (a file caught between truncate and write is read again)
  local s=0 f v
  for f in "$work"/work/*/count; do
    [[ -f $f ]] || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do v=$(cat "$f" 2>/dev/null || true); [[ $v =~ ^[0-9]+$ ]] && break; sleep 0.01; done
    [[ $v =~ ^[0-9]+$ ]] && s=$((s + v))
  done
  echo $s
}

# phase NAME WITH_HOGS: prints one table row
phase() {
  local name=$1 with_hogs=$2 before after res ev pre resu
  local since; since=$(date +%s)
  if ((with_hogs)); then
    for i in $(seq "$hogs"); do
      mkdir -p "$work/work/$name-$i"
      d run -d --name "hog-$name-$i" --label berth.priority=best-effort -v "$work/work/$name-$i:/work" busybox \
        sh -c 'i=0; while :; do i=$((i+1)); if [ $((i % 500)) = 0 ]; then echo $i > /work/c.tmp && mv /work/c.tmp /work/count; fi; done' >/dev/null
    done
    sleep 2
  fi
  d run -d --name "lc-$name" --network host --label berth.priority=latency-critical busybox \
    nc -ll -p "$port" -e cat >/dev/null
  sleep 1
  before=$(counts)
  res=$(python3 "$work/client.py" "$port" "$secs")
  after=$(counts)
  d rm -f "lc-$name" >/dev/null
  pre=$(d events --since "$since" --until "$(($(date +%s) + 1))" --filter event=preempt --format x | wc -l)
  resu=$(d events --since "$since" --until "$(($(date +%s) + 1))" --filter event=resume --format x | wc -l)
  if ((with_hogs)); then
    # preempted work is kept: after the service is gone the same hogs count on
    sleep 3
    local later; later=$(counts)
    for i in $(seq "$hogs"); do d rm -f "hog-$name-$i" >/dev/null; done
    read -r p50 p99 n <<<"$res"
    printf '%-11s %9s %9s %9s %14s %14s %8s %7s\n' "$name" "$p50" "$p99" "$n" "$((after - before))" "$((later - before))" "$pre" "$resu"
  else
    read -r p50 p99 n <<<"$res"
    printf '%-11s %9s %9s %9s %14s %14s %8s %7s\n' "$name" "$p50" "$p99" "$n" "-" "-" "$pre" "$resu"
  fi
}

echo "bench/priority.sh: $(nproc) CPUs, $hogs hogs, ${secs}s per phase, $(date -u +%FT%TZ), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %9s %9s %9s %14s %14s %8s %7s\n' phase "p50(µs)" "p99(µs)" requests "be-work(phase)" "be-work(+3s)" preempts resumes
start_berthd --preempt-interval 0
phase alone 0
phase no-preempt 1
stop_berthd
start_berthd --preempt-mode immediate --preempt-interval 100ms
phase immediate 1
stop_berthd
start_berthd --preempt-mode graceful --preempt-interval 100ms
phase graceful 1
stop_berthd
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
