#!/usr/bin/env bash
# Installs what the build, the tests and the sandbox need on a fresh Debian/Ubuntu machine.
# Idempotent and quiet when everything is already there. Must run as root.
set -euo pipefail
repository="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# --cluster: also what ./swarmnet cluster needs (container runtime, CNI plugins, image builders)
cluster=false
[ "${1:-}" = --cluster ] && cluster=true

if [ "$(id -u)" -ne 0 ]; then
  echo "swarmnet: this needs root (it creates network namespaces and installs packages); run it with sudo" >&2
  exit 1
fi

# python3: the kernel and simulation tests run small servers and clients with it inside pods
packages=(openjdk-17-jdk-headless maven iproute2 nftables conntrack dnsutils busybox curl nginx-light iperf3 ethtool tcpdump procps psmisc dnsperf dnsmasq unbound python3)
if $cluster; then
  packages+=(containerd runc containernetworking-plugins buildah debootstrap iptables util-linux mount)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "swarmnet: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # the packaged daemons are tools for our tests, not services this machine should run
  for svc in nginx dnsmasq unbound; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# kubectl and helm: built from the Go modules pinned in cluster/go.mod (kubectl, the release the
# local cluster runs) and cluster/helm/go.mod, whose go.sum files hold the checksum of every module
# they use; rebuilt only when a pin changes. The tests, the demo and the cluster run these, never
# another kubectl or helm on this machine.
cache="${SWARMNET_CLUSTER_CACHE:-/var/cache/swarmnet-cluster}"
if ! command -v go >/dev/null 2>&1; then
  echo "swarmnet: missing go: kubectl and helm are built from the Go modules pinned in cluster/; install Go 1.26 or newer" >&2
  exit 1
fi
(cd "$repository/cluster" && CGO_ENABLED=0 go build -trimpath -o "$cache/bin/swarmnet-cluster" ./cmd/swarmnet-cluster)
"$cache/bin/swarmnet-cluster" tools --source "$repository/cluster"
# on PATH for a shell too, where that takes nothing away: /usr/local/bin gets a link when it has no
# kubectl (helm) yet, or only a link this script made (here or, before, to /opt/swarmnet-tools);
# another file there stays, silently (./swarmnet and the tests never run it)
for tool in kubectl helm; do
  link="/usr/local/bin/$tool"
  case "$(readlink "$link" 2>/dev/null || true)" in
    "$cache/tools/$tool") ;;
    "/opt/swarmnet-tools/$tool") ln -sfn "$cache/tools/$tool" "$link" ;;
    *) [ -e "$link" ] || [ -L "$link" ] || ln -s "$cache/tools/$tool" "$link" ;;
  esac
done
