#!/usr/bin/env bash
# Installs what the integration tests run for real: Docker Engine (dockerd, containerd, runc),
# a static busybox for the base image, OpenSSH server and client, openssl, iproute2, a registry
# (docker-registry, with htpasswd from apache2-utils for its basic auth), Docker Compose and
# debootstrap (a real Debian root filesystem for testing the VM install script).
# Idempotent: installs only when something is missing. Starts no service.
set -euo pipefail

# sbin directories hold dockerd, sshd and ip, and are not on every user's PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PACKAGES=(docker.io busybox-static openssh-server openssh-client openssl ca-certificates iproute2 docker-registry apache2-utils docker-compose debootstrap)

missing=()
for cmd in dockerd docker containerd runc sshd ssh ssh-keygen openssl ip tar docker-registry htpasswd docker-compose debootstrap; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
busybox_bin=""
for candidate in /bin/busybox /usr/bin/busybox; do
    if [ -x "$candidate" ]; then busybox_bin="$candidate"; break; fi
done
# The image's rootfs holds nothing but busybox, so it has to be the static build.
if [ -z "$busybox_bin" ] || ldd "$busybox_bin" >/dev/null 2>&1; then
    missing+=("busybox (static)")
fi
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
    missing+=("ca-certificates")
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "ensure-test-deps: all test dependencies present"
    exit 0
fi

echo "ensure-test-deps: missing: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "ensure-test-deps: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
fi

# Package scripts would start system dockerd/sshd where an init system is present; the tests
# start private ones. policy-rc.d answering 101 is Debian's way to forbid that.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# Temporary, from scripts/ensure-test-deps.sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    trap '"${SUDO[@]}" rm -f "$POLICY"' EXIT
fi

LOG="${TMPDIR:-/tmp}/docker-on-azure-test-deps.log"
echo "ensure-test-deps: installing ${PACKAGES[*]} (log: $LOG)"
if ! { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"; } >"$LOG" 2>&1; then
    echo "ensure-test-deps: FAILED: apt-get install of the test packages; see $LOG" >&2
    exit 1
fi
echo "ensure-test-deps: installed ${PACKAGES[*]}"
