#!/usr/bin/env bash
# Builds the OCI image of the container with podman (as root): distribution/Containerfile on the
# built distribution (distribution/target/handler-registry, built first with Maven when missing).
#
#   distribution/image/build.sh [--tag NAME] [--base IMAGE] [--debian-base] [--no-build]
#
#   --tag NAME       the image to make (default localhost/handler-registry:<project version> and :latest)
#   --base IMAGE     the base to build on (default: the Containerfile's, a Temurin 17 JRE image)
#   --debian-base    do not try to pull the default base: use (or make) the Debian one straight away
#   --no-build       never run Maven: the distribution must be built already
#   --base-only      only make (or find) the Debian base, print its name
#
# The base: the Containerfile's default (a Temurin 17 JRE image) when it can be pulled; where no
# registry is reachable, a base made here from Debian's packages (debootstrap --variant=minbase, then
# openjdk-17-jre-headless and tini from the machine's own apt mirror), cached as the image
# localhost/handler-registry-base:<suite>-jre17 (made once, a few minutes; podman rmi it to remake).
# The last line printed names the image and the base it used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
distribution=$(dirname "$here")
root=$(dirname "$distribution")
tag="" base="" debian_only=false maven=true base_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --debian-base) debian_only=true; shift ;;
    --no-build) maven=false; shift ;;
    --base-only) base_only=true; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "image: $*" >&2; }
command -v podman >/dev/null || { echo "build.sh: podman is needed (Debian: apt-get install podman runc)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "build.sh: run it as root (rootful podman; debootstrap for the Debian base)" >&2; exit 1; }

default_base=$(sed -n 's/^ARG BASE=//p' "$distribution/Containerfile" | head -1)

# The apt mirror and suite this machine uses (its sources), for the Debian base
debian_source() {
  local uri="" suite=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ && !/security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  echo "${DEBIAN_SUITE:-${suite:-bookworm}} ${DEBIAN_MIRROR:-$uri}"
}

# The security archive this machine uses, if any (the JRE's security updates come from there)
debian_security() {
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ && /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${DEBIAN_SECURITY_MIRROR:-$uri}"
}

# Makes (once) a base image from Debian's packages: minbase + a Java 17 JRE + tini
debian_base() {
  local suite mirror name dir
  read -r suite mirror <<<"$(debian_source)"
  name="localhost/handler-registry-base:$suite-jre17"
  if podman image exists "$name"; then
    say "Debian base $name is cached (podman rmi $name to make it again)"
    echo "$name"
    return
  fi
  command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is needed for the Debian base (apt-get install debootstrap)" >&2; exit 1; }
  dir=$(mktemp -d /var/tmp/handler-registry-base.XXXXXX)
  # shellcheck disable=SC2064 # the directory is known now
  trap "umount '$dir/proc' 2>/dev/null || true; rm -rf '$dir'" EXIT
  say "making the Debian base $name: debootstrap $suite ${mirror:-(its default mirror)} (a few minutes, once) ..."
  debootstrap --variant=minbase "$suite" "$dir" ${mirror:+"$mirror"} >&2
  mount -t proc proc "$dir/proc"
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  # the suite's updates and security archive too: the JRE with its latest fixes
  local security
  security=$(debian_security)
  if [ -n "$mirror" ]; then echo "deb $mirror $suite-updates main" >>"$dir/etc/apt/sources.list"; fi
  if [ -n "$security" ]; then echo "deb $security $suite-security main" >>"$dir/etc/apt/sources.list"; fi
  # the JRE (its postinst runs java: /proc mounted) and tini, the container's init; then no apt lists, caches, docs
  chroot "$dir" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless tini \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/*' >&2
  umount "$dir/proc"
  : >"$dir/etc/resolv.conf"
  local java_home
  java_home=$(dirname "$(dirname "$(chroot "$dir" readlink -f /usr/bin/java)")") # its alternatives, not ours
  tar -C "$dir" -c . | podman import \
    --change "ENV=PATH=/usr/sbin:/usr/bin:/sbin:/bin" --change "ENV=JAVA_HOME=$java_home" \
    --change 'CMD=["/bin/bash"]' - "$name" >/dev/null
  rm -rf "$dir"
  trap - EXIT
  say "made the Debian base $name ($(podman image inspect --format '{{.Size}}' "$name" | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(podman run --rm "$name" java -version 2>&1 | head -1))"
  echo "$name"
}

if $base_only; then
  debian_base
  exit 0
fi
dist="$distribution/target/handler-registry"

if [ ! -x "$dist/bin/handler-registry" ]; then
  $maven || { echo "build.sh: $dist is not built (mvn -B package -DskipTests)" >&2; exit 1; }
  say "building the distribution (mvn -B package -DskipTests) ..."
  (cd "$root" && mvn -q -B package -DskipTests)
fi
version=$(sed -n 's/^version=//p' "$distribution/target/maven-archiver/pom.properties" 2>/dev/null || true)
[ -n "$version" ] || version=$(cd "$dist/lib" && ls handler-registry-*-launcher.jar | sed 's/^handler-registry-\(.*\)-launcher.jar$/\1/')
tags=(-t "$tag")
[ -n "$tag" ] || tags=(-t "localhost/handler-registry:$version" -t localhost/handler-registry:latest)
[ -n "$tag" ] || tag="localhost/handler-registry:$version"

if [ -z "$base" ]; then
  if ! $debian_only && timeout 30 podman pull -q "$default_base" >/dev/null 2>&1; then
    base="$default_base"
  else
    $debian_only || say "the default base $default_base cannot be pulled here (no registry reachable): using a Debian one"
    base=$(debian_base)
  fi
fi

# The build context: the distribution as built, the image's settings beside it
context=$(mktemp -d /var/tmp/handler-registry-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp -a "$dist" "$context/handler-registry"
rm -rf "$context/handler-registry/var" "$context/handler-registry/felix-cache"
cp -a "$here/conf" "$context/image-conf"
say "building $tag on $base ..."
podman build -q --build-arg BASE="$base" -f "$distribution/Containerfile" "${tags[@]}" "$context" >/dev/null
echo "built $tag (base: $base)"
