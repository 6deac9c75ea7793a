#!/usr/bin/env bash
# bench/engine.sh — `docker run --rm busybox true` through berthd beside its peers, same run.
#
# Usage (as root, after ./mvnw -B package -DskipTests):
#   bench/engine.sh [--runs N] [--warmup N] [--parallel N] [--no-podman] [--dockerd] [--log FILE]
#                   [--baseline] [--density N]
# Measures with hyperfine (Debian package), on one busybox image (scripts/mk-oci-image.sh):
#   berthd   `docker run --rm busybox true` with DOCKER_HOST on a berthd this script starts
#            (temp socket, store and runtime state); berthd-none the same with --network none
#            (no bridge endpoint: the engine's share without the network's)
#   runc     `runc run` of a bundle with the same rootfs (the kernel work without an engine)
#   podman   `podman run --rm --network none` of the same image (skipped with --no-podman or absent)
#   dockerd  Docker's own daemon (Debian docker.io) with the same CLI command — only with --dockerd,
#            which installs docker.io if missing and starts it on a temp socket; never used elsewhere
# Then N containers (default 50) created and started in parallel through berthd's API (docker run -d),
# all checked running, total wall time; and berthd's RSS idle and with those N running.
# Writes bench/results/engine-<UTC time>.json (and engine-latest.json); the load average (uptime)
# before and after is printed and kept beside the figures (other work on the machine skews them).
#   --log FILE    keeps berthd's log (with BERTH_TRACE=1 in the environment: each request's phases)
#   --baseline    also writes engine-baseline.json; a later run prints its medians beside the baseline's
#   --density N   then runs bench/density.sh --count N (N idle containers: memory, docker ps time)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=20 warmup=3 parallel=50 podman=1 dockerd=0 logcopy= baseline=0 density=0
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2;; --warmup) warmup=$2; shift 2;; --parallel) parallel=$2; shift 2;;
    --no-podman) podman=0; shift;; --dockerd) dockerd=1; shift;;
    --log) logcopy=$2; shift 2;; --baseline) baseline=1; shift;; --density) density=$2; shift 2;;
    -h|--help) sed -n '2,23p' "$0"; exit 0;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
for t in hyperfine docker runc python3; do
  command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "bench: needs root" >&2; exit 1; }
command -v podman >/dev/null || podman=0

work=$(mktemp -d /tmp/berth-engine-bench.XXXXXX)
sock=unix://$work/berth.sock
export BERTH_CGROUP_PARENT=berth-bench-$$
bpid= dpid=
cleanup() {
  [[ -n $logcopy && -f $work/berthd.log ]] && cp "$work/berthd.log" "$logcopy" || true
  DOCKER_HOST=$sock docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=$sock docker rm -f >/dev/null 2>&1 || true
  [[ -n $bpid ]] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null || true
  [[ -n $dpid ]] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
  runc --root "$work/runc" delete -f bench-check >/dev/null 2>&1 || true
  [[ -n ${br:-} ]] && ip link del "$br" 2>/dev/null || true
  [[ -n ${table:-} ]] && nft delete table inet "$table" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$repo/scripts/mk-oci-image.sh" "$work/img" busybox:latest >/dev/null
"$repo/scripts/mk-bundle.sh" "$work/b" /bin/true >/dev/null

# its own default bridge, a 10.X.0.0/16 no route here uses and nftables table (never berth0 / table
# berth: a user's berthd may run on this machine)
br=bben$$ table=berth_en_$$
routes=$(ip -4 route show table all)
for o in $(seq $((150 + $$ % 50)) 254) $(seq 100 149); do [[ $routes == *" 10.$o."* || $routes == "10.$o."* || $routes == *$'\n'"10.$o."* ]] || break; done
bip=10.$o.0.1/16
"$repo/bin/berthd" -H "$sock" --root "$work/root" --exec-root "$work/run" --bridge "$br" --bip "$bip" --nft-table "$table" \
  2>"$work/berthd.log" &
bpid=$!
for _ in $(seq 100); do DOCKER_HOST=$sock docker version >/dev/null 2>&1 && break; sleep 0.1; done
DOCKER_HOST=$sock docker load -q -i "$work/img/image.tar" >/dev/null
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
DOCKER_HOST=$sock docker run --rm busybox true   # a first run outside hyperfine: a broken engine fails here
idle_kib=$(rss "$bpid")

cmds=(-n berthd "DOCKER_HOST=$sock docker run --rm busybox true"
      -n berthd-none "DOCKER_HOST=$sock docker run --rm --network none busybox true"
      -n runc "runc --root $work/runc run --bundle $work/b r\$\$ </dev/null")
if ((podman)); then
  pm="podman --root $work/podman --runroot $work/podman-run --cgroup-manager cgroupfs --events-backend none"
  $pm load -q -i "$work/img/image.tar" >/dev/null 2>&1 && $pm run --rm --network none busybox true >/dev/null 2>&1 \
    && cmds+=(-n podman "$pm run --rm --network none busybox true") || echo "bench: podman does not run here: skipped" >&2
fi
if ((dockerd)); then
  command -v dockerd >/dev/null || { apt-get install -y -qq docker.io >/dev/null; }
  dsock=unix://$work/docker.sock
  dockerd -H "$dsock" --data-root "$work/docker" --exec-root "$work/docker-run" --pidfile "$work/docker.pid" \
    --iptables=false --bridge=none >"$work/dockerd.log" 2>&1 &
  dpid=$!
  for _ in $(seq 200); do DOCKER_HOST=$dsock docker version >/dev/null 2>&1 && break; sleep 0.1; done
  DOCKER_HOST=$dsock docker load -q -i "$work/img/image.tar" >/dev/null
  cmds+=(-n dockerd "DOCKER_HOST=$dsock docker run --rm --network none busybox true")
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --style basic --warmup "$warmup" --runs "$runs" --shell sh --export-json "$work/h.json" "${cmds[@]}"

start=$(date +%s.%N)
seq "$parallel" | xargs -P "$parallel" -I{} env DOCKER_HOST=$sock docker run -d --name p{} busybox sleep 1000 >/dev/null
end=$(date +%s.%N)
running=$(DOCKER_HOST=$sock docker ps -q | wc -l)
busy_kib=$(rss "$bpid")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$work/h.json" "$parallel" "$running" "$start" "$end" "$idle_kib" "$busy_kib" "$repo/bench/results" \
  "$load_before" "$load_after" "$baseline" "$*" <<'PY'
import json, sys, os, time
h, n, running, start, end, idle, busy, out, lb, la, baseline, args = sys.argv[1:]
res = {r["command"]: r for r in json.load(open(h))["results"]}
base = None
bpath = os.path.join(out, "engine-baseline.json")
if baseline != "1" and os.path.exists(bpath):
    base = json.load(open(bpath))
print(f"\n{'command':10} {'median ms':>10} {'mean ms':>9} {'stddev':>8}" + (f" {'baseline median':>16}" if base else ""))
for name, r in res.items():
    b = f" {base['median_ms'][name]:16.1f}" if base and name in base.get("median_ms", {}) else ""
    print(f"{name:10} {r['median']*1000:10.1f} {r['mean']*1000:9.1f} {r['stddev']*1000:8.1f}{b}")
if base:
    print(f"(baseline: {base['time']}, load {base.get('load_before', '?')} -> {base.get('load_after', '?')})")
print(f"load average (1/5/15 min): {lb} before, {la} after")
total = float(end) - float(start)
print(f"\n{n} containers started in parallel through berthd: {running} running, {total:.2f} s in all")
print(f"berthd RSS: idle {int(idle)/1024:.1f} MiB, with {running} containers {int(busy)/1024:.1f} MiB"
      f" ({(int(busy)-int(idle))/max(int(running),1):.0f} KiB per container)")
os.makedirs(out, exist_ok=True)
stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
doc = {"time": stamp, "median_ms": {k: v["median"]*1000 for k, v in res.items()}, "parallel": int(n),
       "parallel_running": int(running), "parallel_seconds": total, "berthd_rss_kib_idle": int(idle),
       "berthd_rss_kib_busy": int(busy), "load_before": lb, "load_after": la}
for f in (f"engine-{stamp}.json", "engine-latest.json") + (("engine-baseline.json",) if baseline == "1" else ()):
    json.dump(doc, open(os.path.join(out, f), "w"), indent=2)
PY
if ((density)); then
  cleanup; trap - EXIT
  "$repo/bench/density.sh" --count "$density"
fi
