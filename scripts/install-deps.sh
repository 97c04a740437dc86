#!/usr/bin/env bash
# install-deps.sh - Debian packages the integration tests and the sandbox need (Ceph, MariaDB, helpers).
#
# Usage:
#   install-deps.sh              apt-get update + install the whole list (what CI does on a fresh machine)
#   install-deps.sh --if-missing install only when one of the needed programs is missing, so a developer
#                                machine that has everything does not wait for apt on every test run
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd ceph-mgr ceph-common mariadb-server mariadb-client uuid-runtime e2fsprogs time
  # `ss` (port checks in ceph-micro.sh / mariadb-micro.sh) is missing from minimal images
  iproute2
  # NBD clients for `mount` tests (nbdcopy, nbdinfo; qemu-img), zstd for compressed-point checks,
  # galera-4 for the three-node catalog tests, promtool for the metrics file, virsh for libvirt tests
  libnbd-bin python3-libnbd qemu-utils zstd galera-4 prometheus libvirt-clients
  # the native (Native AOT) publish links with clang against zlib
  clang zlib1g-dev)
# One program per package above: if all are present, the packages are installed.
PROGRAMS=(ceph-mon ceph-osd ceph-mgr ceph rbd ceph-authtool monmaptool mariadbd mariadb-install-db mariadb-admin
  mariadb uuidgen mkfs.ext4 /usr/bin/time ss nbdcopy nbdsh qemu-img zstd /usr/lib/galera/libgalera_smm.so promtool virsh
  clang /usr/include/zlib.h)

log() { printf '[install-deps %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

missing() {
  local p out=()
  for p in "${PROGRAMS[@]}"; do
    # root's PATH may lack the sbin dirs (mariadbd, mkfs.ext4 live there)
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || [ -x "/sbin/$p" ] || [ -e "$p" ] || out+=("$p")
  done
  echo "${out[*]}"
}

if [ "${1:-}" = --if-missing ]; then
  m=$(missing)
  [ -z "$m" ] && exit 0
  log "missing: $m"
fi

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
# A mirror hiccup on a fresh CI machine should not fail a 30-minute run.
for attempt in 1 2 3; do
  "${SUDO[@]}" apt-get update -qq && break
  [ "$attempt" = 3 ] && { log "apt-get update failed 3 times"; exit 1; }
  sleep 5
done
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
log "installed: ${PACKAGES[*]}"

m=$(missing)
[ -z "$m" ] || { log "still missing after install: $m"; exit 1; }
