#!/usr/bin/env bash
# bench/runtime.sh — start-up time and monitor memory of bin/berth-runc beside runc, same run.
#
# Usage (as root, after ./mvnw -B package):
#   bench/runtime.sh [--runs N] [--warmup N] [--runtime PATH] [--runc PATH] [--no-podman]
# Defaults: 30 runs, 3 warm-ups, --runtime bin/berth-runc, --runc runc from PATH.
#
# Measures, with hyperfine (Debian package), on one busybox bundle (scripts/mk-bundle.sh, /bin/true):
#   berth   `bin/berth-runc --root R run --bundle B <unique id>`  (run deletes the container): the
#           warm path, since the first run of this config left its template (berth-native fast.c)
#   berth-cold  the same with BERTH_NO_FAST=1: the JVM decides everything, every time
#   runc    `runc --root R run --bundle B <unique id>`
#   floor   `unshare -pfmuin --fork /bin/true` (the kernel's cost of the namespaces alone)
#   berth-update / runc-update  `update --memory 64m --memory-swap 128m --cpu-quota 50000
#           --cpu-period 100000` of a running container
# Ids are unique per run ($$ of hyperfine's shell, whose own start-up hyperfine subtracts).
# Then the resident memory (VmRSS, /proc/<pid>/status) of berth's monitor for a detached
# container (`run -d`: the parent of the container's init) and of podman's conmon (if podman works).
# Prints a table and writes bench/results/runtime-<UTC time>.json (and runtime-latest.json).
# Issue targets: berth median <= 1.5x runc; monitor RSS <= 1024 KiB.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=30 warmup=3 berth=$repo/bin/berth-runc runc=$(command -v runc || echo /usr/sbin/runc) podman=1
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2;; --warmup) warmup=$2; shift 2;;
    --runtime) berth=$(realpath "$2"); shift 2;; --runc) runc=$2; shift 2;;
    --no-podman) podman=0; shift;;
    -h|--help) sed -n '2,18p' "$0"; exit 0;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
for t in hyperfine unshare python3 "$runc" "$berth"; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (apt-get install hyperfine runc python3)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "bench: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
  for rt in "$berth" "$runc"; do
    for id in $("$rt" --root "$work/root-$(basename "$rt")" list -q 2>/dev/null); do
      "$rt" --root "$work/root-$(basename "$rt")" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  if [[ -n ${pm:-} ]]; then
    "${pm[@]}" rm -af -t 0 >/dev/null 2>&1 || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do   # conmon outlives `rm` by a moment
      find /sys/fs/cgroup/*/berth-bench-$$ -depth -type d -exec rmdir {} + 2>/dev/null || true
      compgen -G "/sys/fs/cgroup/*/berth-bench-$$" >/dev/null || break; sleep 0.5
    done
  fi
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$repo/scripts/mk-bundle.sh" "$work/b" /bin/true
"$repo/scripts/mk-bundle.sh" "$work/d" sleep 1000
rb=$work/root-$(basename "$berth") rr=$work/root-$(basename "$runc")
mkdir -p "$rb" "$rr"

# A first run outside hyperfine, so that a broken runtime fails here with its own message.
"$berth" --root "$rb" run --bundle "$work/b" bench-check </dev/null
"$runc" --root "$rr" run --bundle "$work/b" bench-check </dev/null

hyperfine --style basic --warmup "$warmup" --runs "$runs" --shell sh --export-json "$work/h.json" \
  -n berth "$berth --root $rb run --bundle $work/b bb\$\$ </dev/null" \
  -n berth-cold "BERTH_NO_FAST=1 $berth --root $rb run --bundle $work/b bc\$\$ </dev/null" \
  -n runc "$runc --root $rr run --bundle $work/b br\$\$ </dev/null" \
  -n floor "unshare -pfmuin --fork /bin/true"

# update of memory and cpu on a running container (berth: the launcher applies it, see update.c)
"$berth" --root "$rb" run -d --bundle "$work/d" bench-upd </dev/null >/dev/null 2>&1
"$runc" --root "$rr" run -d --bundle "$work/d" bench-upd </dev/null >/dev/null 2>&1
upd="--memory 64m --memory-swap 128m --cpu-quota 50000 --cpu-period 100000"
hyperfine --style basic --warmup "$warmup" --runs "$runs" -N --export-json "$work/u.json" \
  -n berth-update "$berth --root $rb update $upd bench-upd" \
  -n runc-update "$runc --root $rr update $upd bench-upd"
"$berth" --root "$rb" delete --force bench-upd
"$runc" --root "$rr" delete --force bench-upd

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo null; }
"$berth" --root "$rb" run -d --bundle "$work/d" bench-rss </dev/null >/dev/null 2>&1
init=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' < <("$berth" --root "$rb" state bench-rss))
monitor=$(awk '/^PPid:/ {print $2}' "/proc/$init/status")
berth_monitor=$(tr '\0' ' ' <"/proc/$monitor/cmdline" | cut -c1-80)
# runc keeps no monitor: its init is reparented to PID 1 or a subreaper; report no figure then.
if [[ $berth_monitor == *berth* ]]; then berth_rss=$(rss "$monitor"); else berth_rss=null; fi
"$berth" --root "$rb" delete --force bench-rss

conmon_rss=null
if ((podman)) && command -v podman >/dev/null; then
  "$repo/scripts/mk-oci-image.sh" "$work/img" localhost/berth/busybox:latest >/dev/null
  pm=(podman --root "$work/pm/root" --runroot "$work/pm/run" --tmpdir "$work/pm/tmp" --storage-driver=vfs
      --cgroup-manager=cgroupfs --events-backend=none --runtime "$runc")
  if "${pm[@]}" load -q -i "$work/img/image.tar" >/dev/null 2>&1 &&
     "${pm[@]}" run -d --name bench --network=none --cgroup-parent=/berth-bench-$$ --ulimit nofile=1024:1024 \
       --ulimit nproc=1024:1024 localhost/berth/busybox:latest sleep 1000 >/dev/null 2>&1; then
    conmon_rss=$(rss "$("${pm[@]}" inspect -f '{{.State.ConmonPid}}' bench)")
  fi
fi

mkdir -p "$repo/bench/results"
out=$repo/bench/results/runtime-$(date -u +%Y%m%dT%H%M%SZ).json
python3 - "$work/h.json" "$out" "$berth_rss" "$conmon_rss" "$berth" "$runc" "$berth_monitor" "$work/u.json" <<'PY'
import json, os, platform, subprocess, sys
h, out, brss, crss, berth, runc, mon, u = sys.argv[1:]
res = {r["command"]: r for r in json.load(open(h))["results"]}
res.update({r["command"]: r for r in json.load(open(u))["results"]})
ms = lambda r, k: round(r[k] * 1000, 2)
num = lambda s: None if s == "null" else int(s)
ver = subprocess.run([runc, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
doc = {"host": {"kernel": platform.release(), "cpus": os.cpu_count(), "runc": ver[0] if ver else None},
       "runtime": berth, "runc": runc, "runs": len(res["berth"]["times"]),
       "startup_ms": {n: {k: ms(r, k) for k in ("median", "mean", "stddev", "min", "max")} for n, r in res.items()},
       "ratio_berth_over_runc": round(res["berth"]["median"] / res["runc"]["median"], 2),
       "ratio_update_berth_over_runc": round(res["berth-update"]["median"] / res["runc-update"]["median"], 2),
       "rss_kib": {"berth_monitor": num(brss), "conmon": num(crss)}, "berth_monitor_cmdline": mon,
       "targets": {"ratio_max": 1.5, "berth_monitor_rss_kib_max": 1024}}
json.dump(doc, open(out, "w"), indent=2)
print(f"\n{'':13}{'median ms':>10}{'mean ms':>10}{'± sd':>8}{'min':>8}{'max':>8}")
for n, s in doc["startup_ms"].items():
    print(f"{n:13}{s['median']:>10}{s['mean']:>10}{s['stddev']:>8}{s['min']:>8}{s['max']:>8}")
print(f"\nberth/runc median ratio: {doc['ratio_berth_over_runc']} (target <= 1.5)")
print(f"update berth/runc median ratio: {doc['ratio_update_berth_over_runc']} (target <= 1.0)")
print(f"resident memory: berth monitor {brss} KiB (target <= 1024; {mon.strip()}), podman conmon {crss} KiB")
print(f"written: {out}")
PY
ln -sf "$(basename "$out")" "$repo/bench/results/runtime-latest.json"
