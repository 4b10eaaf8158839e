#!/usr/bin/env bash
# Builds a small Debian base image locally, for machines that cannot pull from a registry:
# debootstrap a minbase root file system and import it into the engine. Idempotent: an image that
# already exists is kept, and the root file system tarball is cached so a new engine imports it in seconds.
#
#   deploy/base-image.sh [TAG]        default TAG: conops-local/debian:bookworm
#
# Environment: CONOPS_BASE_CACHE (default .conops/cache), DEBIAN_MIRROR, DEBIAN_SUITE, DOCKER_HOST.
set -euo pipefail

tag="${1:-conops-local/debian:bookworm}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CONOPS_BASE_CACHE:-$root/.conops/cache}"
# What .NET needs at run time (TLS, certificates) plus ssh for Git sources over SSH. ICU is not
# needed: both programs run with invariant globalization.
packages="ca-certificates,libssl3,openssh-client,tzdata"
tarball="$cache/debian-$suite-minbase.tar"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already present"
  exit 0
fi

if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "debootstrap needs root" >&2; exit 1; }
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "debootstrap $suite (minbase) into $work ..."
  debootstrap --variant=minbase --include="$packages" "$suite" "$work" "$mirror" >"$work.log" 2>&1 \
    || { tail -20 "$work.log" >&2; exit 1; }
  # Drop what an image never uses: apt lists, caches, docs and man pages.
  rm -rf "$work"/var/lib/apt/lists/* "$work"/var/cache/apt/* "$work"/usr/share/doc/* "$work"/usr/share/man/* \
         "$work"/usr/share/info/* "$work"/usr/share/locale/*
  tar -C "$work" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -f "$work.log"
fi

docker import --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >/dev/null
echo "imported $tag from $tarball"
