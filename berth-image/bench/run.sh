#!/bin/sh
# berth-image benchmarks (needs a build: berth-cli/target/berth.conf; root; docker-registry, podman, python3).
#  1. unpack throughput of an uncompressed 256 MB layer (berth's extractor, beside GNU tar)
#  2. pull + unpack of a 4-layer 168 MB image from a local docker-registry: berth pull beside podman pull
# ROUNDS=N (default 3) pull rounds. The unpack benchmark runs with bin/berth's JVM options.
# Others on the machine skew both: the load average is printed before and after.
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/berth-cli/target/berth.conf"
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
regpid=
cleanup() { [ -n "$regpid" ] && kill "$regpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

python3 - "$work" <<'PY'
import os, io, sys, tarfile, hashlib, json
w = sys.argv[1]
os.makedirs(f"{w}/src", exist_ok=True)
with tarfile.open(f"{w}/layer.tar", "w") as t:
    for i in range(1500):
        data = os.urandom(128 * 1024); ti = tarfile.TarInfo(f"data/d{i%50}/f{i}"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    for i in range(8):
        data = os.urandom(8 << 20); ti = tarfile.TarInfo(f"data/big{i}"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
layers, diffs = [], []
with tarfile.open(f"{w}/multi.tar", "w") as out:
    for n in range(4):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for i in range(1500):
                data = os.urandom(16 * 1024); ti = tarfile.TarInfo(f"l{n}/d{i%30}/f{i}"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
            for i in range(2):
                data = os.urandom(8 << 20); ti = tarfile.TarInfo(f"l{n}/big{i}"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
        b = buf.getvalue(); d = hashlib.sha256(b).hexdigest()
        ti = tarfile.TarInfo(f"{d}/layer.tar"); ti.size = len(b); out.addfile(ti, io.BytesIO(b))
        layers.append(f"{d}/layer.tar"); diffs.append("sha256:" + d)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    ti = tarfile.TarInfo("config.json"); ti.size = len(cfg); out.addfile(ti, io.BytesIO(cfg))
    m = json.dumps([{"Config": "config.json", "RepoTags": ["bench/img:1"], "Layers": layers}]).encode()
    ti = tarfile.TarInfo("manifest.json"); ti.size = len(m); out.addfile(ti, io.BytesIO(m))
PY

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "== unpack, uncompressed layer ($(du -m "$work/layer.tar" | cut -f1) MB)"
"$BERTH_JAVA" $BERTH_IMAGE_JVM_OPTS -cp "$BERTH_CP" dev.berth.image.tar.UnpackBenchmark "$work/layer.tar" 3
mkdir "$work/gnutar"; s=$(date +%s.%N); tar -C "$work/gnutar" -xf "$work/layer.tar"; e=$(date +%s.%N)
echo "GNU tar -x: $(echo "$e - $s" | bc) s"; rm -rf "$work/gnutar"

echo "== pull + unpack, 4 layers, from docker-registry on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/reg"
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s, secret: bench}\n' "$work/reg" "$port" > "$work/reg.yml"
/usr/bin/docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 & regpid=$!
sleep 1
"$repo/bin/berth" load --root "$work/src" -i "$work/multi.tar" >/dev/null
"$repo/bin/berth" push --root "$work/src" bench/img:1 "127.0.0.1:$port/bench/img:1" >/dev/null
for i in $(seq "${ROUNDS:-3}"); do
  rm -rf "$work/b"; /usr/bin/time -f "berth pull:  %e s (%U user, %S sys)" "$repo/bin/berth" pull --root "$work/b" "127.0.0.1:$port/bench/img:1" >/dev/null
  if command -v podman >/dev/null; then
    rm -rf "$work/p"; /usr/bin/time -f "podman pull: %e s (%U user, %S sys)" podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver overlay pull -q --tls-verify=false "127.0.0.1:$port/bench/img:1" >/dev/null
    podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver overlay system reset -f >/dev/null 2>&1 || true
  fi
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
