#!/bin/sh
# demo-berthd.sh — the main job: start berthd, then run a container through the stock docker CLI.
# Everything in a temp directory (socket, image store, runtime state); berthd is stopped at the end.
#   1. bin/berthd on unix://$WORK/berth.sock
#   2. a busybox image built from Debian's busybox-static (scripts/mk-oci-image.sh), `docker load`
#   3. docker run --rm busybox echo ..., docker run -d, ps, logs, exec, rm -f
# Needs root, the build (./mvnw -B package -DskipTests), busybox-static and the docker CLI.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
command -v docker >/dev/null || { echo "demo: the docker CLI is not on PATH" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
export DOCKER_HOST="unix://$work/berth.sock"
export BERTH_CGROUP_PARENT="berth-demo-$$"
pid=
cleanup() {
  docker rm -f demo-web >/dev/null 2>&1 || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$repo/bin/berthd" -H "$DOCKER_HOST" --root "$work/root" --exec-root "$work/run" 2>"$work/berthd.log" &
pid=$!
i=0
until docker version >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then echo "demo: berthd did not start:" >&2; cat "$work/berthd.log" >&2; exit 1; fi
  sleep 0.1
done
echo "+ berthd is up: DOCKER_HOST=$DOCKER_HOST"
docker version --format '  client {{.Client.Version}} (API {{.Client.APIVersion}}), server {{.Server.Platform.Name}} {{.Server.Version}} (API {{.Server.APIVersion}})'
"$repo/scripts/mk-oci-image.sh" "$work/img" busybox:latest >/dev/null
set -x
docker load -i "$work/img/image.tar"
docker run --rm busybox echo "hello from a berth container, started by the docker CLI through berthd"
docker run -d --name demo-web --memory 64m busybox sh -c 'while true; do echo tick; sleep 1; done'
docker ps
docker exec demo-web sh -c 'echo "in the container: pid $$, $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo ?) bytes of memory allowed"'
sleep 1
docker logs demo-web
docker rm -f demo-web
{ set +x; } 2>/dev/null
echo "+ done: berthd is stopped and $work removed. To keep one running: bin/berthd & export DOCKER_HOST=unix:///run/berth/berth.sock"
