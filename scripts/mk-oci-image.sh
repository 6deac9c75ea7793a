#!/bin/sh
# mk-oci-image.sh DIR [NAME:TAG] — a one-layer busybox image, built by hand (tar, sha256sum, JSON):
#   DIR/oci/          OCI image layout (for skopeo/umoci: oci:DIR/oci:TAG)
#   DIR/image.tar     the same layout as a tar that is also a docker-archive (manifest.json):
#                     `podman load -i DIR/image.tar`, `ctr images import DIR/image.tar`,
#                     `skopeo copy oci-archive:DIR/image.tar ...` / `docker-archive:DIR/image.tar`.
# NAME defaults to localhost/berth/busybox:latest; a NAME without a registry gets docker.io/
# (and library/ for a single component), as docker does. Deterministic (mtime 0), no network.
# MK_OCI_CONFIG_EXTRA: more members of the image's "config", as JSON (e.g. '"Healthcheck":{...}').
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [NAME:TAG]" >&2; exit 2; }
dir=$1
ref=${2:-localhost/berth/busybox:latest}
here=$(cd "$(dirname "$0")" && pwd)
for t in tar sha256sum; do command -v $t >/dev/null || { echo "mk-oci-image: $t not found" >&2; exit 1; }; done

case $ref in *@*) echo "mk-oci-image: digests not supported: $ref" >&2; exit 2;; esac
name=${ref%:*}; tag=${ref##*:}
case $ref in *:*) ;; *) name=$ref; tag=latest;; esac
case $tag in */*) name=$ref; tag=latest;; esac   # "host:5000/x": the colon is the port
first=${name%%/*}
case $name in
  */*) case $first in *.*|*:*|localhost) ;; *) name=docker.io/$name;; esac ;;
  *) name=docker.io/library/$name ;;
esac
full=$name:$tag

arch=$(uname -m); case $arch in x86_64) arch=amd64;; aarch64) arch=arm64;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$here/mk-rootfs.sh" "$work/rootfs"
rm -rf "$dir/oci"; mkdir -p "$dir/oci/blobs/sha256"
blobs=$dir/oci/blobs/sha256

# put FILE: store FILE as a blob, print "digest-hex size"
put() {
  h=$(sha256sum "$1" | cut -d' ' -f1); s=$(stat -c %s "$1")
  mv "$1" "$blobs/$h"; echo "$h $s"
}
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
set -- $(put "$work/layer.tar"); layer=$1; layer_size=$2
cat >"$work/config" <<J
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/"${MK_OCI_CONFIG_EXTRA:+,$MK_OCI_CONFIG_EXTRA}},"rootfs":{"type":"layers","diff_ids":["sha256:$layer"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"berth scripts/mk-oci-image.sh (busybox-static)"}]}
J
set -- $(put "$work/config"); config=$1; config_size=$2
cat >"$work/manifest" <<J
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:$layer","size":$layer_size}]}
J
set -- $(put "$work/manifest"); manifest=$1; manifest_size=$2
echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci/oci-layout"
cat >"$dir/oci/index.json" <<J
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest","size":$manifest_size,"annotations":{"io.containerd.image.name":"$full","org.opencontainers.image.ref.name":"$tag"}}]}
J
# docker-archive view of the same blobs (as `docker save` has written since Docker 25).
cat >"$dir/oci/manifest.json" <<J
[{"Config":"blobs/sha256/$config","RepoTags":["$full"],"Layers":["blobs/sha256/$layer"]}]
J
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/oci" -cf "$dir/image.tar.tmp" .
mv "$dir/image.tar.tmp" "$dir/image.tar"
echo "$full sha256:$manifest"
