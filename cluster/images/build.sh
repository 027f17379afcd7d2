#!/usr/bin/env bash
# Builds the images the local cluster's nodes run, with no registry: every image comes from
# Debian's packages or from this repository, as docker-archive files under OUT. An image whose
# inputs did not change is not built again. Prints one line per image: the archive, then the
# names it goes by (so unchanged manifests find it with imagePullPolicy IfNotPresent).
#
#   build.sh OUT BIN    (BIN holds pause and coredns, built from cmd/)
set -euo pipefail
out="$1"
pause_binary="$2/pause"
coredns_binary="$2/coredns"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mirror="${SWARMNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
mkdir -p "$out"
# buildah keeps its layers next to the archives, out of the machine's own container storage
store=(--root "$out/storage" --runroot "$out/run" --storage-driver overlay)
# root here may lack CAP_SYS_RESOURCE: a RUN step must stay under the current hard limits (runc
# refused even nproc at exactly the hard limit here, so both stay a little below it)
nofile=$(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) / 2 : 32768 ))
nproc=$(( $(ulimit -Hu) < 65536 ? $(ulimit -Hu) / 2 : 32768 ))
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

# buildah's network configuration stays in OUT too: every RUN here uses the host's network or
# none, and buildah must not create CNI files or a bridge on this machine
mkdir -p "$out/cni"
cat > "$out/containers.conf" <<CONF
[network]
network_backend = "cni"
network_config_dir = "$out/cni"
default_network = "none"
CONF
export CONTAINERS_CONF="$out/containers.conf"
# working containers of an earlier run that failed half-way (this store is ours alone)
buildah "${store[@]}" rm --all >/dev/null 2>&1 || true

log() { echo "    $*" >&2; }
# stamp NAME INPUTS...: a short hash of the inputs, so a changed input makes a new archive (an
# image's inputs end with its recipe's number: change the recipe below, raise the number)
stamp() { local name="$1"; shift; printf '%s\n' "$@" | sha256sum | cut -c1-16; }
archive() { echo "$out/$1-$2.tar"; }
# keep only the newest archive of each image
prune() { find "$out" -maxdepth 1 -name "$1-*.tar" ! -name "$(basename "$2")" -delete; }

commit() { # commit CONTAINER NAME ARCHIVE
  buildah "${store[@]}" commit --quiet --rm "$1" "$2" >/dev/null
  rm -f "$3.part"
  buildah "${store[@]}" push --quiet "$2" "docker-archive:$3.part:$2" >/dev/null
  mv "$3.part" "$3"
}

# single_binary NAME BINARY IMAGE [USER]: an image holding one static program as /NAME, its entry point
single_binary() {
  local name="$1" binary="$2" image="$3" user="${4:-}"
  local tar
  tar=$(archive "$name" "$(stamp "$name" "$(sha256sum "$binary")")")
  if [ ! -f "$tar" ]; then
    log "$name"
    local c
    c=$(buildah "${store[@]}" from --quiet scratch)
    buildah "${store[@]}" copy --quiet "$c" "$binary" "/$name" >/dev/null
    buildah "${store[@]}" config --entrypoint "[\"/$name\"]" ${user:+--user "$user"} "$c"
    commit "$c" "$image" "$tar"
    prune "$name" "$tar"
  fi
  echo "$tar"
}

# --- pause: the pod sandbox, from cmd/pause
echo "$(single_binary pause "$pause_binary" registry.k8s.io/pause:3.10.1 65535:65535) registry.k8s.io/pause:3.10.1 registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.9"

# --- coredns: the cluster DNS service, from cmd/coredns
echo "$(single_binary coredns "$coredns_binary" registry.k8s.io/coredns/coredns:local) registry.k8s.io/coredns/coredns:local"

# --- busybox: Debian's busybox-static, every applet linked, as docker.io/library/busybox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq busybox-static >/dev/null 2>&1) || { echo "busybox image: apt-get download busybox-static failed (is Debian's archive reachable?)" >&2; exit 1; }
deb=$(ls "$work"/busybox-static_*.deb)
busybox_tag=$(stamp busybox "$(basename "$deb")" 1)
busybox_tar=$(archive busybox "$busybox_tag")
if [ ! -f "$busybox_tar" ]; then
  log "busybox from $(basename "$deb")"
  dpkg-deb -x "$deb" "$work/deb"
  root="$work/busybox"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/var/www"
  chmod 1777 "$root/tmp"
  cp "$work/deb/bin/busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
  c=$(buildah "${store[@]}" from --quiet scratch)
  tar -C "$root" -cf "$work/busybox.tar" .
  buildah "${store[@]}" add --quiet "$c" "$work/busybox.tar" / >/dev/null
  buildah "${store[@]}" config --cmd '["sh"]' --env PATH=/bin "$c"
  commit "$c" docker.io/library/busybox:latest "$busybox_tar"
  prune busybox "$busybox_tar"
fi
echo "$busybox_tar docker.io/library/busybox:latest docker.io/library/busybox:1.36"

# --- debian: a minimal Debian from debootstrap, the base of the images below
debian_tag=$(stamp debian "$suite" "$mirror" 1)
debian_image="localhost/swarmnet-debian:$debian_tag"
if ! buildah "${store[@]}" inspect --type image "$debian_image" >/dev/null 2>&1; then
  log "debian $suite (debootstrap, a few minutes the first time)"
  debootstrap --variant=minbase "$suite" "$work/debian" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -5 "$work/debootstrap.log" >&2; echo "debian image: debootstrap $suite failed" >&2; exit 1; }
  chroot "$work/debian" apt-get clean
  rm -rf "$work/debian/var/lib/apt/lists/"*
  tar -C "$work/debian" -cf "$work/debian.tar" .
  rm -rf "$work/debian"
  c=$(buildah "${store[@]}" from --quiet scratch)
  buildah "${store[@]}" add --quiet "$c" "$work/debian.tar" / >/dev/null
  buildah "${store[@]}" config --cmd '["bash"]' "$c"
  buildah "${store[@]}" commit --quiet --rm "$c" "$debian_image" >/dev/null
fi

# derive NAME PACKAGES...: a working container of the Debian base with Debian packages added
derive() {
  local name="$1"; shift
  log "$name: $*"
  local c
  c=$(buildah "${store[@]}" from --quiet "${limits[@]}" "$debian_image")
  buildah "${store[@]}" run --network host "$c" -- sh -ec \
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*" >&2
  echo "$c"
}

# --- nginx: Debian's nginx-light serving its default page, in the foreground, as docker.io/library/nginx
nginx_tag=$(stamp nginx "$debian_tag" 1)
nginx_tar=$(archive nginx "$nginx_tag")
if [ ! -f "$nginx_tar" ]; then
  c=$(derive nginx nginx-light)
  buildah "${store[@]}" run --network none "$c" -- sh -ec \
    'ln -sf /dev/stdout /var/log/nginx/access.log; ln -sf /dev/stderr /var/log/nginx/error.log; mkdir -p /usr/share/nginx/html; cp /var/www/html/index.nginx-debian.html /usr/share/nginx/html/index.html' >&2
  buildah "${store[@]}" config --cmd '["nginx", "-g", "daemon off;"]' --port 80 --stop-signal SIGQUIT "$c"
  commit "$c" docker.io/library/nginx:latest "$nginx_tar"
  prune nginx "$nginx_tar"
fi
echo "$nginx_tar docker.io/library/nginx:latest docker.io/library/nginx:1.27"

# --- swarmnet: this repository's Dockerfile, unchanged, with bases made from Debian's packages
sources=$(cd "$repo" && git ls-files -co --exclude-standard -- Dockerfile .dockerignore pom.xml api operator node-daemonset simulation sandbox sandbox-api system-tests src | sort | xargs sha256sum | sha256sum | cut -c1-16)
swarmnet_tag=$(stamp swarmnet "$debian_tag" "$sources")
swarmnet_tar=$(archive swarmnet "$swarmnet_tag")
if [ ! -f "$swarmnet_tar" ]; then
  jdk_tag=$(stamp jdk "$debian_tag")
  if ! buildah "${store[@]}" inspect --type image "localhost/swarmnet-jdk:$jdk_tag" >/dev/null 2>&1; then
    c=$(derive swarmnet-jdk openjdk-17-jdk-headless maven)
    buildah "${store[@]}" commit --quiet --rm "$c" "localhost/swarmnet-jdk:$jdk_tag" >/dev/null
  fi
  jre_tag=$(stamp jre "$debian_tag")
  if ! buildah "${store[@]}" inspect --type image "localhost/swarmnet-jre:$jre_tag" >/dev/null 2>&1; then
    c=$(derive swarmnet-jre openjdk-17-jre-headless ca-certificates)
    buildah "${store[@]}" commit --quiet --rm "$c" "localhost/swarmnet-jre:$jre_tag" >/dev/null
  fi
  log "swarmnet from the Dockerfile (Maven builds the jars inside; its downloads go to ~/.m2)"
  mkdir -p "$HOME/.m2"
  # this machine's trust store (a proxy's CA, where downloads pass one) for Maven inside the build
  trust=()
  [ -f /etc/ssl/certs/java/cacerts ] && trust=(--volume /etc/ssl/certs/java/cacerts:/etc/ssl/certs/java/cacerts:ro)
  buildah "${store[@]}" bud --quiet "${limits[@]}" --network host --layers=false \
    --volume "$HOME/.m2:/root/.m2" "${trust[@]}" \
    --build-arg "BUILD_IMAGE=localhost/swarmnet-jdk:$jdk_tag" \
    --build-arg "RUNTIME_IMAGE=localhost/swarmnet-jre:$jre_tag" \
    -f "$repo/Dockerfile" -t docker.io/swarmnet/swarmnet:dev "$repo" >&2
  rm -f "$swarmnet_tar.part"
  buildah "${store[@]}" push --quiet docker.io/swarmnet/swarmnet:dev "docker-archive:$swarmnet_tar.part:docker.io/swarmnet/swarmnet:dev" >/dev/null
  mv "$swarmnet_tar.part" "$swarmnet_tar"
  prune swarmnet "$swarmnet_tar"
fi
echo "$swarmnet_tar docker.io/swarmnet/swarmnet:dev"
