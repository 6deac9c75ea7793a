#!/usr/bin/env bash
# bench/shim.sh — the runc verbs containerd's shim calls, bin/berth-runc beside runc in the same run.
#
# Usage (as root, after ./mvnw -B package -DskipTests; runc from scripts/install-deps.sh):
#   bench/shim.sh [--runs N] [--warmup N] [--runtime PATH] [--runc PATH] [--full]
# Defaults: 20 runs, 2 warm-ups, --runtime bin/berth-runc, --runc runc from PATH.
#
# One busybox bundle (scripts/mk-bundle.sh, `sleep 1000`), each runtime with its own --root. For each
# verb hyperfine times `berth-runc VERB` and `runc VERB` in one invocation; its --prepare (not timed)
# puts both runtimes' containers into the state the verb needs before every timed run:
#   state         of a running container
#   kill          `kill ID CONT` of a running container (a signal sleep ignores: the container stays)
#   start         of a created container
#   delete        of a stopped container (created, then `kill ID KILL`)
#   delete-force  `delete --force` of a running container
#   create        a fresh id of the same bundle: berth's warm path (this config was created before)
#   create-cold   the same with BERTH_NO_FAST=1 for berth: the JVM path (no template at all)
#   create-newid  containerd's situation: a fresh id AND a fresh bundle directory (named by the id)
#                 each run, the id in the config (hostname, cgroupsPath, an annotation) and the bundle
#                 in a mount source, called as the shim calls it (--log <bundle>/log.json --log-format
#                 json create --bundle B --pid-file <bundle>/init.pid ID); both runtimes through the
#                 same `sh -c` that reads the id. berth's warm path with an id- and bundle-independent
#                 template (one config, many containers)
#   exec          `exec --process FILE ID` (process.json running `true`) into a running container, as
#                 the shim calls it: berth's warm exec (this process.json was exec'd before)
#   exec-cold     the same with BERTH_NO_FAST=1 for berth: the JVM path (a new process.json)
#   pause/resume  `pause ID` then `resume ID` (one timed command) of a running container
#   ctr-run-rm    (--full) `ctr run --rm IMAGE ID true` through a private containerd (CRI off) and its
#                 runc shim, --runc-binary berth-runc or runc: a whole start (berth's create cold)
# Prints one line per verb: berth and runc medians and berth/runc; writes
# bench/results/shim-<UTC time>.json (and shim-latest.json).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=20 warmup=2 berth=$repo/bin/berth-runc runc=$(command -v runc || echo /usr/sbin/runc) full=0
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2;; --warmup) warmup=$2; shift 2;;
    --runtime) berth=$(realpath "$2"); shift 2;; --runc) runc=$2; shift 2;;
    --full) full=1; shift;;
    -h|--help) sed -n '2,29p' "$0"; exit 0;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
for t in hyperfine python3 "$runc" "$berth"; do
  command -v "$t" >/dev/null || { echo "bench: $t not found (scripts/install-deps.sh: hyperfine, runc)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "bench: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-shim.XXXXXX)
export BERTH_CGROUP_PARENT=berth-shim-$$
rb=$work/root-berth rr=$work/root-runc
cleanup() {
  for pair in "$berth:$rb" "$runc:$rr"; do
    rt=${pair%%:*} root=${pair#*:}
    for id in $("$rt" --root "$root" list -q 2>/dev/null); do
      "$rt" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  rmdir /sys/fs/cgroup/*/"$BERTH_CGROUP_PARENT" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$repo/scripts/mk-bundle.sh" "$work/b" sleep 1000 >/dev/null
mkdir -p "$rb" "$rr"
B=$work/b

# The prepare step, for both runtimes: prep.sh VERB
cat >"$work/prep.sh" <<EOF
#!/bin/sh
verb=\$1
for pair in "$berth:$rb" "$runc:$rr"; do
  rt=\${pair%%:*} root=\${pair#*:}
  r() { "\$rt" --root "\$root" "\$@" </dev/null >/dev/null 2>&1; }
  case \$verb in
    running) r state run1 || { r create --bundle $B run1 && r start run1; } ;;
    start) r delete --force s1; r create --bundle $B s1 ;;
    delete) r delete --force d1; r create --bundle $B d1; r kill d1 KILL ;;
    delete-force) r delete --force f1; r create --bundle $B f1; r start f1 ;;
    create) r delete --force c1 ;;
    newid)
      tag=\$(basename "\$root")
      [ -f "$work/newid-\$tag" ] && r delete --force "\$(cat "$work/newid-\$tag")" && rm -rf "$work/nb/\$(cat "$work/newid-\$tag")"
      i=\$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n')
      mkdir -p "$work/nb/\$i" && echo "\$i" > "$work/nb/\$i/hostname"
      sed -e "s|@BUNDLE@|$work/nb/\$i|g" -e "s|@ID@|\$i|g" "$work/newid-config.json" > "$work/nb/\$i/config.json"
      echo "\$i" > "$work/newid-\$tag" ;;
  esac
done
[ "\$verb" = delete ] && sleep 0.05   # the init is gone (a zombie at most)
exit 0
EOF
chmod +x "$work/prep.sh"
P=$work/prep.sh

# A first create outside hyperfine: a broken runtime fails here with its own message; it also leaves
# berth's warm-path template for this config.
for rt in "$berth:$rb" "$runc:$rr"; do
  "${rt%%:*}" --root "${rt#*:}" create --bundle "$B" check </dev/null
  "${rt%%:*}" --root "${rt#*:}" delete --force check
done
"$P" running

results=()
bench() { # NAME PREPARE BERTH-CMD RUNC-CMD
  local name=$1 prep=$2
  hyperfine --style basic -N --warmup "$warmup" --runs "$runs" --prepare "$prep" \
    --export-json "$work/$name.json" -n "berth $name" "$3" -n "runc $name" "$4" >&2
  results+=("$work/$name.json")
}
bench state "$P running" "$berth --root $rb state run1" "$runc --root $rr state run1"
bench kill "$P running" "$berth --root $rb kill run1 CONT" "$runc --root $rr kill run1 CONT"
bench ps "$P running" "$berth --root $rb ps --format json run1" "$runc --root $rr ps --format json run1"
bench pause-resume "$P running" "sh -c '$berth --root $rb pause run1 && $berth --root $rb resume run1'" \
  "sh -c '$runc --root $rr pause run1 && $runc --root $rr resume run1'"
bench start "$P start" "$berth --root $rb start s1" "$runc --root $rr start s1"
bench delete "$P delete" "$berth --root $rb delete d1" "$runc --root $rr delete d1"
bench delete-force "$P delete-force" "$berth --root $rb delete --force f1" "$runc --root $rr delete --force f1"
bench create "$P create" "$berth --root $rb create --bundle $B c1" "$runc --root $rr create --bundle $B c1"
bench create-cold "$P create" "env BERTH_NO_FAST=1 $berth --root $rb create --bundle $B c1" \
  "$runc --root $rr create --bundle $B c1"
# create-newid's config: B's with the id and the bundle where containerd and the CRI put them
python3 - "$B/config.json" "$work/newid-config.json" "$B/rootfs" "$BERTH_CGROUP_PARENT" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["path"] = sys.argv[3]
c["hostname"] = "@ID@"
c.setdefault("linux", {})["cgroupsPath"] = "/" + sys.argv[4] + "/@ID@"
c.setdefault("annotations", {})["io.kubernetes.cri.container-id"] = "@ID@"
c["mounts"].append({"destination": "/etc/hostname-file", "type": "bind", "source": "@BUNDLE@/hostname",
                    "options": ["rbind", "ro"]})
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
newid() { # RUNTIME ROOT: the shim's create of the id the last prepare made
  local tag=${2##*/}
  echo "sh -c 'i=\$(cat $work/newid-$tag); b=$work/nb/\$i; exec $1 --root $2 --log \$b/log.json --log-format json create --bundle \$b --pid-file \$b/init.pid \$i'"
}
bench create-newid "$P newid" "$(newid "$berth" "$rb")" "$(newid "$runc" "$rr")"
"$P" newid # deletes the last ones
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["process"]; p["args"]=["true"]; json.dump(p, open(sys.argv[2], "w"))' \
  "$B/config.json" "$work/process.json"
bench exec "$P running" "$berth --root $rb exec --process $work/process.json run1" \
  "$runc --root $rr exec --process $work/process.json run1"
bench exec-cold "$P running" "env BERTH_NO_FAST=1 $berth --root $rb exec --process $work/process.json run1" \
  "$runc --root $rr exec --process $work/process.json run1"

# Full starts through containerd's runc shim: a private containerd (own root, state, socket; CRI off)
# and `ctr run --rm` of the same busybox image with each runtime as --runc-binary.
if ((full)); then
  for t in containerd ctr containerd-shim-runc-v2; do
    command -v $t >/dev/null || { echo "bench: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
  done
  cdir=$work/containerd
  mkdir -p "$cdir/root" "$cdir/state"
  printf '%s\n' 'version = 2' "root = \"$cdir/root\"" "state = \"$cdir/state\"" \
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]' \
    '[grpc]' "  address = \"$cdir/sock\"" '[ttrpc]' "  address = \"$cdir/sock.ttrpc\"" \
    '[debug]' '  address = ""' '[metrics]' '  address = ""' >"$cdir/config.toml"
  containerd --config "$cdir/config.toml" >"$cdir/log" 2>&1 &
  ctrd=$!
  ctr="ctr --address $cdir/sock --namespace berth-shim-$$"
  stop_containerd() {
    for task in $($ctr tasks ls -q 2>/dev/null); do $ctr tasks kill -s SIGKILL "$task"; $ctr tasks delete -f "$task"; done >/dev/null 2>&1
    for c in $($ctr containers ls -q 2>/dev/null); do $ctr containers delete "$c"; done >/dev/null 2>&1
    kill "$ctrd" 2>/dev/null; wait "$ctrd" 2>/dev/null
    rmdir /sys/fs/cgroup/*/"berth-shim-$$" 2>/dev/null || true
    cleanup
  }
  trap stop_containerd EXIT
  for _ in $(seq 100); do $ctr version >/dev/null 2>&1 && break; sleep 0.2; done
  "$repo/scripts/mk-oci-image.sh" "$cdir/image" >/dev/null
  $ctr images import "$cdir/image/image.tar" >/dev/null
  img=localhost/berth/busybox:latest
  # a new container id per run ($$ of hyperfine's shell)
  hyperfine --style basic --warmup "$warmup" --runs "$runs" --shell sh --export-json "$work/ctr-run.json" \
    -n "berth ctr-run-rm" "$ctr run --rm --runc-binary $berth --runc-root $cdir/rb $img b\$\$ true" \
    -n "runc ctr-run-rm" "$ctr run --rm --runc-binary $runc --runc-root $cdir/rr $img r\$\$ true" >&2
  results+=("$work/ctr-run.json")
fi

mkdir -p "$repo/bench/results"
out=$repo/bench/results/shim-$(date -u +%Y%m%dT%H%M%SZ).json
python3 - "$out" "${results[@]}" <<'PY'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
rows = []
print(f"{'verb':<14} {'berth median':>13} {'runc median':>12} {'berth/runc':>10}")
for f in files:
    rs = json.load(open(f))["results"]
    b, r = rs[0], rs[1]
    verb = b["command"].split(" ", 1)[1]
    ratio = b["median"] / r["median"]
    rows.append({"verb": verb, "berth_median_ms": b["median"] * 1e3, "berth_mean_ms": b["mean"] * 1e3,
                 "berth_stddev_ms": (b["stddev"] or 0) * 1e3, "runc_median_ms": r["median"] * 1e3,
                 "runc_mean_ms": r["mean"] * 1e3, "runc_stddev_ms": (r["stddev"] or 0) * 1e3, "ratio": ratio})
    print(f"{verb:<14} {b['median']*1e3:>10.1f} ms {r['median']*1e3:>9.1f} ms {ratio:>9.2f}x")
json.dump({"load": open("/proc/loadavg").read().split()[:3], "verbs": rows}, open(out, "w"), indent=2)
PY
cp "$out" "$repo/bench/results/shim-latest.json"
echo "wrote $out" >&2
