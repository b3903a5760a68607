/**
 * The script the Custom Script extension runs as root on an existing VM to make it a Docker host
 * reached over SSH: Docker Engine from the distribution (Docker's own repository on the RHEL family,
 * which packages none), the service enabled and running, the admin user in the docker group, and the
 * user's public key in that user's authorized_keys. With `tls`, Docker also listens with mutual TLS
 * on 2376, set up with the very files provisioning writes (daemonTlsFiles). Every step looks first and changes only what is
 * not so already, printing one `doa-changed:` line per change, so a second run says it changed nothing.
 * What it writes, installs and adds is kept in INSTALL_RECORD on the VM, so that Remove Docker
 * Access… (uninstallScript.ts) takes back exactly that and nothing the user made.
 * POSIX sh: Debian's /bin/sh is dash.
 */

import { daemonTlsFiles, DOCKER_DROP_IN, dockerServiceDropIn, type DaemonTls } from '../provisioning/cloudInit';

/** Lines of the script's stdout and stderr the product reads. */
export const MARKERS = {
  os: 'doa-os: ',
  changed: 'doa-changed: ',
  hostKey: 'doa-host-key: ',
  refused: 'doa-refused: ',
} as const;

/** The exit status for a Linux the script does not install on (nothing was changed). */
export const REFUSED_EXIT = 20;

export interface InstallScriptOptions {
  adminUser: string;
  /** One OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  sshPublicKey: string;
  /** The server side of mutual TLS on 2376; never the CA key. */
  tls?: DaemonTls;
}

/** Where a daemon.json the TLS install replaces is kept (once: a later run does not overwrite it). */
export const DAEMON_JSON_BACKUP = '/etc/docker/daemon.json.before-docker-on-azure';

/**
 * What the install did, one `kind key [value]` line each, a later line for the same kind and key
 * replacing the earlier: `file <path> <sha256 as written>`, `backup <path> <kept copy>`,
 * `package <name>` (asked for), `dependency <name>` (came with it), `repo <path>`, `group-member <user>`.
 */
export const INSTALL_RECORD = '/var/lib/docker-on-azure/install.record';

/** Shell function `record KIND KEY [VALUE]`, shared by the install (which writes) and the uninstall (which rewrites what stays). */
export const RECORD_FUNCTION = `RECORD='${INSTALL_RECORD}'
record() {
  install -d -m 700 "\${RECORD%/*}"
  { [ -f "$RECORD" ] && awk -v k="$1 $2" 'index($0, k " ") != 1 && $0 != k' "$RECORD"; echo "$*"; } >"$RECORD.new"
  chmod 600 "$RECORD.new"
  mv -f "$RECORD.new" "$RECORD"
}`;

// The files travel base64-encoded, so no content can end the quoting. The drop-in names dockerd
// where the package put it, known only on the VM.
function tlsFileSteps(tls: DaemonTls): string {
  return [
    ...daemonTlsFiles(tls)
      .filter((f) => f.path !== DOCKER_DROP_IN)
      .map((f) => `put_file '${f.path}' ${f.permissions} '${Buffer.from(f.content).toString('base64')}'`),
    `put_file '${DOCKER_DROP_IN}' 0644 "$(printf '${dockerServiceDropIn('%s')}' "$(command -v dockerd)" | base64 -w0)"`,
  ].join('\n');
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( [^\r\n']*)?$/;

export function buildInstallScript(o: InstallScriptOptions): string {
  if (!USER.test(o.adminUser)) {
    throw new Error(`${JSON.stringify(o.adminUser)} is not a Linux user name the install can use`);
  }
  const key = o.sshPublicKey.trim();
  if (!PUBLIC_KEY.test(key)) {
    throw new Error('The SSH public key is not one OpenSSH line (type, base64 key, optional comment)');
  }
  return `#!/bin/sh
# Docker on Azure: installs Docker Engine and gives ${o.adminUser} access to it over SSH.
set -eu
ADMIN_USER='${o.adminUser}'
SSH_KEY='${key}'
export DEBIAN_FRONTEND=noninteractive
changed() { echo "${MARKERS.changed}$*"; }
${RECORD_FUNCTION}
refuse() {
  echo "${MARKERS.refused}$1" >&2
  exit ${REFUSED_EXIT}
}

[ -r /etc/os-release ] || refuse "this VM has no /etc/os-release, so its Linux cannot be told"
. /etc/os-release
ID="\${ID:-unknown}"
VERSION_ID="\${VERSION_ID:-}"
MAJOR="\${VERSION_ID%%.*}"
echo "${MARKERS.os}\${PRETTY_NAME:-$ID $VERSION_ID}"
SUPPORTED="Ubuntu 20.04, 22.04 and 24.04, Debian 11 and 12, RHEL, AlmaLinux and Rocky Linux 8 and 9"
case "$ID:$VERSION_ID" in
  ubuntu:20.04 | ubuntu:22.04 | ubuntu:24.04) FAMILY=apt ;;
  debian:11 | debian:12) FAMILY=apt ;;
  rhel:* | almalinux:* | rocky:*)
    case "$MAJOR" in 8 | 9) FAMILY=dnf ;; *) refuse "\${PRETTY_NAME:-$ID $VERSION_ID} is not supported; supported are $SUPPORTED" ;; esac ;;
  *) refuse "\${PRETTY_NAME:-$ID $VERSION_ID} is not supported; supported are $SUPPORTED" ;;
esac
getent passwd "$ADMIN_USER" >/dev/null || { echo "the admin user $ADMIN_USER does not exist on this VM" >&2; exit 1; }

# Docker Engine: whatever package already provides dockerd stays; otherwise the distribution's own.
if command -v dockerd >/dev/null 2>&1; then
  echo "Docker Engine is installed already: $(dockerd --version 2>/dev/null || echo dockerd)"
else
  # The packages this run brings in, recorded so that removing Docker takes those and no other.
  if [ "$FAMILY" = apt ]; then
    installed_packages() { dpkg-query -W -f='\${db:Status-Abbrev}\${Package}\\n' | sed -n 's/^ii *//p' | sort; }
    WANTED=docker.io
  else
    installed_packages() { rpm -qa --qf '%{NAME}\\n' | sort; }
    WANTED="docker-ce docker-ce-cli containerd.io"
  fi
  BEFORE="$(mktemp)"
  installed_packages >"$BEFORE"
  if [ "$FAMILY" = apt ]; then
    apt-get update -q
    apt-get install -y -q docker.io
    changed "installed docker.io $(dpkg-query -W -f='\${Version}' docker.io)"
  else
    # RHEL-family repositories carry Podman, not Docker Engine: Docker's own repository does.
    case "$ID" in rhel) REPO=rhel ;; *) REPO=centos ;; esac
    dnf -y -q install dnf-plugins-core
    if [ ! -e /etc/yum.repos.d/docker-ce.repo ]; then
      dnf config-manager --add-repo "https://download.docker.com/linux/$REPO/docker-ce.repo"
      record repo /etc/yum.repos.d/docker-ce.repo
    fi
    dnf -y -q install docker-ce docker-ce-cli containerd.io
    changed "installed docker-ce $(rpm -q --qf '%{VERSION}' docker-ce) from download.docker.com"
  fi
  for p in $(installed_packages | comm -13 "$BEFORE" -); do
    case " $WANTED " in *" $p "*) record package "$p" ;; *) record dependency "$p" ;; esac
  done
  rm -f "$BEFORE"
fi
${
  o.tls
    ? `
# TLS on 2376, once the package is in: a daemon.json with hosts before its drop-in would stop the package's
# docker.service from starting (dockerd -H fd:// refuses it), and the drop-in needs to know where dockerd is.
TLS_CHANGED=
put_file() {
  if [ -f "$1" ] && [ "$(base64 -w0 "$1")" = "$3" ] && [ "$(stat -c %a "$1")" = "\${2#0}" ]; then
    echo "$1 is as it should be already"
  else
    tmp="$(mktemp)"
    printf '%s' "$3" | base64 -d >"$tmp"
    if [ "$1" = /etc/docker/daemon.json ] && [ -f "$1" ] && [ ! -e ${DAEMON_JSON_BACKUP} ]; then
      cp -p "$1" ${DAEMON_JSON_BACKUP}
      changed "kept the previous $1 as ${DAEMON_JSON_BACKUP}"
    fi
    install -D -m "$2" "$tmp" "$1"
    rm -f "$tmp"
    TLS_CHANGED=1
    changed "wrote $1"
  fi
  if [ "$1" = /etc/docker/daemon.json ] && [ -e ${DAEMON_JSON_BACKUP} ]; then
    record backup "$1" ${DAEMON_JSON_BACKUP}
  fi
  record file "$1" "$(sha256sum "$1" | cut -d' ' -f1)"
}
${tlsFileSteps(o.tls)}
`
    : ''
}
if ! systemctl is-enabled --quiet docker 2>/dev/null; then
  systemctl enable docker >/dev/null 2>&1
  changed "enabled docker.service"
fi
# Without systemd as PID 1 (a container, a chroot) the service starts at the next boot.
if [ -d /run/systemd/system ]; then${
    o.tls
      ? `
  if [ -n "$TLS_CHANGED" ]; then
    systemctl daemon-reload
    if systemctl is-active --quiet docker; then
      systemctl restart docker
      changed "restarted docker.service to listen with TLS on 2376"
    fi
  fi`
      : ''
  }
  if ! systemctl is-active --quiet docker; then
    systemctl start docker
    changed "started docker.service"
  fi
fi

if ! getent group docker >/dev/null; then
  groupadd --system docker
  changed "created the docker group"
fi
if id -nG "$ADMIN_USER" | tr ' ' '\\n' | grep -qx docker; then
  echo "$ADMIN_USER is in the docker group already"
else
  usermod -aG docker "$ADMIN_USER"
  changed "added $ADMIN_USER to the docker group"
  record group-member "$ADMIN_USER"
fi

HOME_DIR="$(getent passwd "$ADMIN_USER" | cut -d: -f6)"
GROUP="$(id -gn "$ADMIN_USER")"
KEYS="$HOME_DIR/.ssh/authorized_keys"
if [ -f "$KEYS" ] && grep -qxF "$SSH_KEY" "$KEYS"; then
  echo "the key is in $KEYS already"
else
  install -d -m 700 -o "$ADMIN_USER" -g "$GROUP" "$HOME_DIR/.ssh"
  printf '%s\\n' "$SSH_KEY" >>"$KEYS"
  chown "$ADMIN_USER:$GROUP" "$KEYS"
  chmod 600 "$KEYS"
  changed "added the key to $KEYS"
fi

# The host key reaches the product through Azure, so the first SSH connection takes nothing on trust.
if [ -r /etc/ssh/ssh_host_ed25519_key.pub ]; then
  echo "${MARKERS.hostKey}$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
fi
`;
}

export interface InstallReport {
  /** The VM's Linux as os-release names it. */
  os?: string;
  changed: string[];
  /** `ssh-ed25519 AAAA…` of the VM's sshd. */
  hostKey?: string;
  /** Why the script refused the VM's Linux, if it did. */
  refused?: string;
}

/** What the script's output says it found and did. */
export function parseInstallOutput(stdout: string, stderr: string): InstallReport {
  const lines = (text: string, marker: string) =>
    text
      .split(/\r?\n/)
      .filter((l) => l.startsWith(marker))
      .map((l) => l.slice(marker.length).trim());
  return {
    os: lines(stdout, MARKERS.os)[0],
    changed: lines(stdout, MARKERS.changed),
    hostKey: lines(stdout, MARKERS.hostKey)[0],
    refused: lines(stderr, MARKERS.refused)[0],
  };
}
