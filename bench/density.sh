#!/usr/bin/env bash
# bench/density.sh — N idle containers through berthd: what each costs, and docker ps with them.
#
# Usage (as root, after ./mvnw -B package -DskipTests):
#   bench/density.sh [--count N] [--network MODE] [--jobs J] [--ps-runs R]
#     --count N       idle containers (busybox `sleep`), default 1000
#     --network MODE  their network, default none (each container's own empty namespace; `bridge`
#                     adds a veth per container, which is the network's cost, not the engine's)
#     --jobs J        concurrent create+start calls, default 8
#     --ps-runs R     hyperfine runs of `docker ps`, default 10
#     --log FILE      keeps berthd's log (BERTH_TRACE=1 in the environment: each request's phases)
# Starts a berthd of its own (temp socket, store, runtime state, cgroup parent), starts the N
# containers through the API (POST /containers/create + /start over the socket), and prints:
# berthd's RSS before and after and its growth per container; the monitor + keeper PSS per
# container (from /proc/PID/smaps_rollup of the processes recorded in each container's runtime
# state); `docker ps` and `docker ps -a` times with N containers (hyperfine) and berthd's own
# part of it (GET /containers/json over the socket, timed in Python, median); then removes them
# all. Writes bench/results/density-<UTC time>.json (and density-latest.json).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
count=1000 network=none jobs=8 psruns=10 logcopy=
while (($#)); do
  case $1 in
    --count) count=$2; shift 2;; --network) network=$2; shift 2;; --jobs) jobs=$2; shift 2;;
    --ps-runs) psruns=$2; shift 2;; --log) logcopy=$2; shift 2;;
    -h|--help) sed -n '2,17p' "$0"; exit 0;;
    *) echo "density: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "density: --count must be a positive number, not $count" >&2; exit 2; }
for t in hyperfine docker python3; do
  command -v "$t" >/dev/null || { echo "density: $t not found" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "density: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-density-bench.XXXXXX)
sock=$work/berth.sock
export DOCKER_HOST=unix://$sock
export BERTH_CGROUP_PARENT=berth-density-$$
bpid=
cleanup() {
  [[ -n $logcopy && -f $work/berthd.log ]] && cp "$work/berthd.log" "$logcopy" || true
  if [[ -n $bpid ]] && kill -0 "$bpid" 2>/dev/null; then
    python3 "$work/api.py" rm "$sock" "$jobs" 2>/dev/null || true
    kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null || true
  fi
  [[ -n ${br:-} ]] && ip link del "$br" 2>/dev/null || true
  [[ -n ${table:-} ]] && nft delete table inet "$table" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for h in /sys/fs/cgroup/*/; do [[ -d $h$BERTH_CGROUP_PARENT ]] && rmdir "$h$BERTH_CGROUP_PARENT" 2>/dev/null; done || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/api.py" <<'PY'
# create+start (or remove) containers over berthd's unix socket, J at a time
import http.client, json, socket, sys, concurrent.futures as cf
class UConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=300); self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.settimeout(300); self.sock.connect(self.path)
def call(c, method, url, body=None):
    c.request(method, url, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse(); data = r.read()
    if r.status >= 300: raise RuntimeError(f"{method} {url}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None
verb, path, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def up(i, network):
    c = UConn(path)
    cid = call(c, "POST", f"/containers/create?name=idle{i}", {"Image": "busybox", "Cmd": ["sleep", "1000000"],
               "HostConfig": {"NetworkMode": network}})["Id"]
    call(c, "POST", f"/containers/{cid}/start"); c.close()
def rm(cid):
    c = UConn(path); call(c, "DELETE", f"/containers/{cid}?force=1"); c.close()
if verb == "list":
    import time, statistics
    ts = []
    for _ in range(jobs):
        c = UConn(path); t = time.monotonic(); n = len(call(c, "GET", "/containers/json")); ts.append(time.monotonic() - t); c.close()
    print(f"{statistics.median(ts)*1000:.1f} {n}")
    sys.exit(0)
with cf.ThreadPoolExecutor(jobs) as ex:
    if verb == "up":
        n, network = int(sys.argv[4]), sys.argv[5]
        fs = [ex.submit(up, i, network) for i in range(n)]
    else:
        c = UConn(path); ids = [x["Id"] for x in call(c, "GET", "/containers/json?all=1")]; c.close()
        fs = [ex.submit(rm, i) for i in ids]
    errs = [f.exception() for f in fs if f.exception()]
    for e in errs[:5]: print("density:", e, file=sys.stderr)
    sys.exit(1 if errs else 0)
PY

"$repo/scripts/mk-oci-image.sh" "$work/img" busybox:latest >/dev/null
# its own default bridge, a 10.X.0.0/16 no route here uses and nftables table (never berth0 / table
# berth: a user's berthd may run on this machine)
br=bbdn$$ table=berth_dn_$$
routes=$(ip -4 route show table all)
for o in $(seq $((150 + $$ % 50)) 254) $(seq 100 149); do [[ $routes == *" 10.$o."* || $routes == "10.$o."* || $routes == *$'\n'"10.$o."* ]] || break; done
bip=10.$o.0.1/16
"$repo/bin/berthd" -H "unix://$sock" --root "$work/root" --exec-root "$work/run" --bridge "$br" --bip "$bip" --nft-table "$table" \
  2>"$work/berthd.log" &
bpid=$!
for _ in $(seq 200); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
docker load -q -i "$work/img/image.tar" >/dev/null
docker run --rm --network "$network" busybox true   # warm: the first create+start outside the figures
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rss_before=$(rss "$bpid")
start=$(date +%s.%N)
python3 "$work/api.py" up "$sock" "$jobs" "$count" "$network"
end=$(date +%s.%N)
running=$(docker ps -q | wc -l)
sleep 2   # let berthd settle (GC) before its RSS is read
rss_after=$(rss "$bpid")
# monitor + keeper of each container, as its runtime state records them
pss_total=0 procs=0
for d in "$work"/run/runtime/*/; do
  for f in "$d"keeper "$d"monitor; do
    [[ -r $f ]] || continue
    while read -r pid _; do
      [[ -r /proc/$pid/smaps_rollup ]] || continue
      p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
      pss_total=$((pss_total + ${p:-0})); procs=$((procs + 1))
    done <"$f"
  done
done
hyperfine --style basic --warmup 2 --runs "$psruns" --export-json "$work/ps.json" \
  -n "docker ps" "docker ps" -n "docker ps -a" "docker ps -a" >&2
read -r api_ms api_n < <(python3 "$work/api.py" list "$sock" "$psruns")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
rm_start=$(date +%s.%N)
python3 "$work/api.py" rm "$sock" "$jobs"
rm_end=$(date +%s.%N)
python3 - "$work/ps.json" "$count" "$running" "$start" "$end" "$rss_before" "$rss_after" "$pss_total" "$procs" \
  "$load_before" "$load_after" "$rm_start" "$rm_end" "$network" "$repo/bench/results" "$api_ms" "$api_n" <<'PY'
import json, sys, os, time
ps, n, running, s, e, rb, ra, pss, procs, lb, la, rs, re_, net, out, api_ms, api_n = sys.argv[1:]
n, running, rb, ra, pss, procs = int(n), int(running), int(rb), int(ra), int(pss), int(procs)
res = {r["command"]: r for r in json.load(open(ps))["results"]}
per_berthd = (ra - rb) / max(running, 1)
per_mon = pss / max(running, 1)
print(f"\n{running} of {n} idle containers running (network {net}), started in {float(e)-float(s):.1f} s; removed in {float(re_)-float(rs):.1f} s")
print(f"berthd RSS: {rb/1024:.1f} MiB before, {ra/1024:.1f} MiB with {running} ({per_berthd:.0f} KiB per container)")
print(f"monitor + keeper PSS: {pss/1024:.1f} MiB in all, {procs} processes ({per_mon:.0f} KiB per container)")
print(f"berthd growth + monitors: {(per_berthd + per_mon)/1024:.2f} MiB per container (target <= 1 MiB)")
for k, r in res.items():
    print(f"`{k}` with {running} containers: median {r['median']*1000:.1f} ms (mean {r['mean']*1000:.1f} ± {r['stddev']*1000:.1f})")
print(f"GET /containers/json over the socket (berthd's part, no CLI): median {float(api_ms):.1f} ms for {api_n} containers")
print(f"load average (1/5/15 min): {lb} before, {la} after")
os.makedirs(out, exist_ok=True)
stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
doc = {"time": stamp, "count": n, "running": running, "network": net, "start_seconds": float(e)-float(s),
       "berthd_rss_kib_before": rb, "berthd_rss_kib_after": ra, "berthd_kib_per_container": per_berthd,
       "monitor_keeper_pss_kib": pss, "monitor_keeper_processes": procs, "monitor_keeper_kib_per_container": per_mon,
       "ps_median_ms": {k: r["median"]*1000 for k, r in res.items()}, "api_list_median_ms": float(api_ms),
       "load_before": lb, "load_after": la}
for f in (f"density-{stamp}.json", "density-latest.json"):
    json.dump(doc, open(os.path.join(out, f), "w"), indent=2)
PY
