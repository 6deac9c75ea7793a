#!/usr/bin/env bash
# bench/netsetup.sh — what a network endpoint adds to a container start through berthd.
#
# Usage (as root, after ./mvnw -B package -DskipTests):  bench/netsetup.sh [--runs N] [--warmup N]
# Starts a berthd of its own (temp socket, roots, cgroup parent, bridge bnsPID, nft table
# berth_bench_PID, 10.250.x pools) and times with hyperfine `docker run --rm busybox true` with
# --network none, on the default bridge and on a user network (veth pair, IPAM, netns pin, embedded
# DNS). Prints each median and the difference to none, and berthd's own figures for the network
# setup of a start (BERTH_NET_TRACE=1: netns pin, veth + IPAM + addresses + DNS, published ports);
# removes everything it made.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=30 warmup=3
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2;; --warmup) warmup=$2; shift 2;;
    -h|--help) sed -n '2,8p' "$0"; exit 0;;
    *) echo "netsetup: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
for t in hyperfine docker python3 nft; do command -v "$t" >/dev/null || { echo "netsetup: $t not found" >&2; exit 1; }; done
[[ $(id -u) == 0 ]] || { echo "netsetup: needs root" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-netsetup.XXXXXX)
sock=unix://$work/berth.sock
export BERTH_CGROUP_PARENT=berth-netsetup-$$
br=bns$$ table=berth_bench_$$ net=nsbench$$
octet=$((200 + $$ % 50))
bpid=
cleanup() {
  DOCKER_HOST=$sock docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST=$sock docker rm -f >/dev/null 2>&1 || true
  ubr=$(DOCKER_HOST=$sock docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$net" 2>/dev/null || true)
  DOCKER_HOST=$sock docker network rm "$net" >/dev/null 2>&1 || true
  [[ -n $bpid ]] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null || true
  ip link del "$br" 2>/dev/null || true
  [[ -n ${ubr:-} ]] && ip link del "$ubr" 2>/dev/null || true
  nft delete table inet "$table" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rmdir "/sys/fs/cgroup/$BERTH_CGROUP_PARENT" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
"$repo/scripts/mk-oci-image.sh" "$work/img" busybox:latest >/dev/null
BERTH_NET_TRACE=1 "$repo/bin/berthd" -H "$sock" --root "$work/root" --exec-root "$work/run" --bridge "$br" --bip "10.$octet.1.1/24" \
  --default-address-pool "base=10.$octet.64.0/18,size=24" --nft-table "$table" 2>"$work/berthd.log" &
bpid=$!
for _ in $(seq 200); do DOCKER_HOST=$sock docker version >/dev/null 2>&1 && break; sleep 0.1; done
DOCKER_HOST=$sock docker load -q -i "$work/img/image.tar" >/dev/null
DOCKER_HOST=$sock docker network create "$net" >/dev/null
for n in none bridge "$net"; do DOCKER_HOST=$sock docker run --rm --network "$n" busybox true; done
hyperfine -N --runs "$runs" --warmup "$warmup" --export-json "$work/h.json" \
  -n none "env DOCKER_HOST=$sock docker run --rm --network none busybox true" \
  -n bridge "env DOCKER_HOST=$sock docker run --rm busybox true" \
  -n user-network "env DOCKER_HOST=$sock docker run --rm --network $net busybox true" \
  -n user-network-p "env DOCKER_HOST=$sock docker run --rm --network $net -p 80 busybox true" >/dev/null
python3 - "$work/h.json" <<'EOF'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
base = r["none"]
for k, v in r.items():
    print(f"{k:13s} median {v:7.1f} ms" + ("" if k == "none" else f"   +{v - base:5.1f} ms over --network none"))
EOF
python3 - "$work/berthd.log" <<'EOF'
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)_us=(\d+)", l)) for l in open(sys.argv[1]) if "net-trace" in l]
if rows:
    med = {k: statistics.median(int(r[k]) for r in rows) / 1000 for k in ("netns", "attach", "publish", "total")}
    print(f"berthd network setup per start, median of {len(rows)}: netns pin {med['netns']:.2f} ms, "
          f"veth+IPAM+addresses+DNS {med['attach']:.2f} ms, published ports + endpoint record (fsync) {med['publish']:.2f} ms, total {med['total']:.2f} ms")
EOF
