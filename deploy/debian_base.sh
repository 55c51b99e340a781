#!/usr/bin/env bash
# A base image for deploy/Containerfile built from Debian's own packages, for machines that reach
# Debian's mirror but no image registry: debootstrap a minimal bookworm with Python 3.11 and
# import it into podman as localhost/vg-debian-base.
set -euo pipefail
root="${1:-$(mktemp -d)/rootfs}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if ! command -v debootstrap >/dev/null || ! command -v podman >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap podman runc >/dev/null
fi
if [ ! -x "$root/usr/bin/python3" ]; then
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror" >/dev/null
fi
tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' - localhost/vg-debian-base
