#!/usr/bin/env bash
# install-deps.sh — the Debian packages berth's tests drive for real (and busybox-static, from
# which every test image is built). Idempotent and quiet; needs root. Used by the README's test
# command and so by .ci/run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(runc podman containerd busybox-static hyperfine libseccomp-dev libseccomp2 skopeo umoci
      docker-registry apache2-utils openssl iproute2 iptables libnftables1 python3 python3-docker docker-compose curl make gcc tar coreutils procps util-linux
      sysbench fio iperf3 crun chromium)   # the last line: bin/berth bench and its BenchIT (chromium renders the report)
missing=()
for p in "${pkgs[@]}"; do
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) == ii* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  # policy-rc.d: do not start packaged services (docker-registry, containerd) during install.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#pkgs[@]} packages present"
fi
jdk=/usr/lib/jvm/temurin-25-jdk-amd64
if [[ ! -x $jdk/bin/javac ]] && ! ls -d /usr/lib/jvm/*25* >/dev/null 2>&1; then
  echo "install-deps: no JDK 25 under /usr/lib/jvm: install Temurin 25 (the build selects it through toolchains)" >&2
  exit 1
fi
