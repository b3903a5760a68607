/**
 * The script Remove Docker Access… runs as root on a VM that Install Docker on VM… set up: it takes
 * back what the install's record (INSTALL_RECORD) says it wrote, and only while it is as written.
 * daemon.json goes back to the copy the install kept (else goes), the TLS files and the systemd
 * drop-in go, Docker restarts without its TLS listener; the admin user leaves the docker group and
 * the packages the install brought in are removed only when asked. A file changed since is kept and
 * named. A VM an earlier version set up has no record: then the script changes nothing and lists
 * what matches, byte for byte, what that install wrote, and runs again only once the user agrees.
 * Every step looks first, so a second run changes nothing. POSIX sh, as the install.
 */
import { daemonTlsFiles, DOCKER_DROP_IN, dockerServiceDropIn } from '../provisioning/cloudInit';
import { DAEMON_JSON_BACKUP, INSTALL_RECORD, MARKERS as INSTALL_MARKERS } from './installScript';

export const UNINSTALL_MARKERS = {
  changed: INSTALL_MARKERS.changed,
  /** Something of the install's that stays, and why. */
  kept: 'doa-kept: ',
  /** No record: something that matches what an earlier install wrote, offered for removal. */
  unrecorded: 'doa-unrecorded: ',
} as const;

export interface UninstallScriptOptions {
  adminUser: string;
  /** Take the admin user out of the docker group the install put it in (ends Docker over SSH). */
  removeGroupMembership: boolean;
  /** Remove the packages the install brought in. */
  removePackages: boolean;
  /** The user agreed to remove what an install without a record left (the `unrecorded` lines of a first run). */
  takeUnrecorded: boolean;
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const flag = (on: boolean) => (on ? '1' : '');

export function buildUninstallScript(o: UninstallScriptOptions): string {
  if (!USER.test(o.adminUser)) {
    throw new Error(`${JSON.stringify(o.adminUser)} is not a Linux user name the uninstall can use`);
  }
  // Only the paths and daemon.json matter here: they do not depend on the certificates.
  const files = daemonTlsFiles({ caPem: '', serverCertPem: '', serverKeyPem: '' });
  const daemonJson = files[0];
  const tlsPaths = files.filter((f) => f !== daemonJson && f.path !== DOCKER_DROP_IN).map((f) => f.path);
  const { changed, kept, unrecorded } = UNINSTALL_MARKERS;
  return `#!/bin/sh
# Docker on Azure: removes the Docker access its install set up, and nothing else.
set -eu
ADMIN_USER='${o.adminUser}'
REMOVE_GROUP='${flag(o.removeGroupMembership)}'
REMOVE_PACKAGES='${flag(o.removePackages)}'
TAKE_UNRECORDED='${flag(o.takeUnrecorded)}'
DAEMON_JSON='${daemonJson.path}'
BACKUP='${DAEMON_JSON_BACKUP}'
DROP_IN='${DOCKER_DROP_IN}'
export DEBIAN_FRONTEND=noninteractive
changed() { echo "${changed}$*"; }
kept() { echo "${kept}$*"; }
RECORD='${INSTALL_RECORD}'
sha() { sha256sum "$1" | cut -d' ' -f1; }
in_docker_group() { id -nG "$1" 2>/dev/null | tr ' ' '\\n' | grep -qx docker; }

OURS="$(mktemp)"
STAYS="$(mktemp)"
trap 'rm -f "$OURS" "$STAYS"' EXIT
if [ -f "$RECORD" ]; then
  cp "$RECORD" "$OURS"
else
  # An earlier version kept no record: what matches, byte for byte, what it wrote is offered.
  if [ -f "$DAEMON_JSON" ] && [ "$(base64 -w0 "$DAEMON_JSON")" = '${Buffer.from(daemonJson.content).toString('base64')}' ]; then
    [ -f "$BACKUP" ] && echo "backup $DAEMON_JSON $BACKUP" >>"$OURS"
    echo "file $DAEMON_JSON $(sha "$DAEMON_JSON")" >>"$OURS"
    # The files that daemon.json names, at the install's paths.
    for f in ${tlsPaths.map((p) => `'${p}'`).join(' ')}; do
      if [ -f "$f" ]; then echo "file $f $(sha "$f")" >>"$OURS"; fi
    done
  fi
  for d in /usr/bin/dockerd /usr/sbin/dockerd; do
    if [ -f "$DROP_IN" ] && [ "$(base64 -w0 "$DROP_IN")" = "$(printf '${dockerServiceDropIn('%s')}' "$d" | base64 -w0)" ]; then
      echo "file $DROP_IN $(sha "$DROP_IN")" >>"$OURS"
    fi
  done
  if [ -n "$REMOVE_GROUP" ] && in_docker_group "$ADMIN_USER"; then
    echo "group-member $ADMIN_USER" >>"$OURS"
  fi
  if [ -z "$TAKE_UNRECORDED" ]; then
    while read -r kind what rest; do
      case "$kind" in
        file) echo "${unrecorded}$what" ;;
        group-member) echo "${unrecorded}$what in the docker group" ;;
      esac
    done <"$OURS"
    exit 0
  fi
fi

has() { grep -q "^$1 $2\\( \\|\\$\\)" "$OURS"; }
unchanged() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }
# A daemon.json changed since still names the TLS files and needs the drop-in: the listener stays whole.
DAEMON_KEPT=
if [ -e "$DAEMON_JSON" ] && has file "$DAEMON_JSON" && ! unchanged "$DAEMON_JSON" "$(awk -v p="$DAEMON_JSON" '$1 == "file" && $2 == p { print $3 }' "$OURS")"; then
  DAEMON_KEPT=1
fi
RESTART=
while read -r kind what value; do
  case "$kind" in
    file)
      if [ ! -e "$what" ]; then
        echo "$what is gone already"
      elif ! unchanged "$what" "$value"; then
        kept "$what, changed since Docker on Azure wrote it"
      elif [ -n "$DAEMON_KEPT" ]; then
        kept "$what, which the changed $DAEMON_JSON still uses"
      elif [ "$what" = "$DAEMON_JSON" ] && has backup "$DAEMON_JSON" && [ -e "$BACKUP" ]; then
        mv -f "$BACKUP" "$DAEMON_JSON"
        RESTART=1
        changed "restored the previous $DAEMON_JSON"
      else
        rm -f "$what"
        RESTART=1
        changed "removed $what"
      fi
      ;;
    group-member)
      if [ -z "$REMOVE_GROUP" ]; then
        echo "$kind $what" >>"$STAYS"
        kept "$what in the docker group (Docker over SSH)"
      elif in_docker_group "$what"; then
        gpasswd -d "$what" docker >/dev/null
        changed "removed $what from the docker group"
      else
        echo "$what is not in the docker group"
      fi
      ;;
  esac
done <"$OURS"
if [ -e "$BACKUP" ] && has backup "$DAEMON_JSON"; then
  kept "$BACKUP, the daemon.json from before Docker on Azure ($DAEMON_JSON was changed since)"
fi
# The folders the install made, if they are empty now.
for d in '${tlsPaths[0].replace(/\/[^/]*$/, '')}' "\${DROP_IN%/*}"; do
  rmdir "$d" 2>/dev/null || true
done

PACKAGES="$(awk '$1 == "package" { print $2 }' "$OURS" | tr '\\n' ' ')"
DEPENDENCIES="$(awk '$1 == "dependency" { print $2 }' "$OURS" | tr '\\n' ' ')"
if command -v dpkg-query >/dev/null 2>&1; then
  present() { dpkg-query -W -f='\${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'; }
else
  present() { rpm -q "$1" >/dev/null 2>&1; }
fi
if [ -z "$PACKAGES" ]; then
  if [ -n "$REMOVE_PACKAGES" ]; then
    kept "Docker Engine: Docker on Azure did not install it here"
  fi
elif [ -z "$REMOVE_PACKAGES" ]; then
  awk '$1 == "package" || $1 == "dependency" || $1 == "repo"' "$OURS" >>"$STAYS"
else
  GONE=
  for p in $PACKAGES; do
    if present "$p"; then GONE="$GONE $p"; fi
  done
  if [ -n "$GONE" ]; then
    if command -v apt-get >/dev/null 2>&1; then
      apt-get remove -y -q $GONE
      # Of what came with them, what nothing else needs now (apt's own verdict), and no other package.
      ORPHANS="$(apt-get -s autoremove | awk '$1 == "Remv" { print $2 }')"
      LEFT=
      for p in $DEPENDENCIES; do
        case " $(echo $ORPHANS) " in *" $p "*) LEFT="$LEFT $p" ;; esac
      done
      if [ -n "$LEFT" ]; then
        apt-get remove -y -q $LEFT
      fi
    else
      # dnf would also take unrelated packages it deems unneeded.
      dnf -y -q remove --noautoremove $GONE
    fi
    changed "removed the packages Docker on Azure installed:$GONE"
  fi
  for r in $(awk '$1 == "repo" { print $2 }' "$OURS"); do
    if [ -f "$r" ]; then
      rm -f "$r"
      changed "removed $r"
    fi
  done
fi

# What stays in the record is what a later run may still take; with nothing, the record goes.
if [ -s "$STAYS" ]; then
  install -d -m 700 "\${RECORD%/*}"
  install -m 600 "$STAYS" "$RECORD"
elif [ -e "$RECORD" ]; then
  rm -f "$RECORD"
  rmdir "\${RECORD%/*}" 2>/dev/null || true
fi

if [ -n "$RESTART" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if systemctl is-active --quiet docker; then
    systemctl restart docker
    changed "restarted docker.service without its TLS listener"
  fi
fi
`;
}

export interface UninstallReport {
  changed: string[];
  kept: string[];
  /** Without a record: what an earlier install seems to have left, not yet touched. */
  unrecorded: string[];
}

export function parseUninstallOutput(stdout: string): UninstallReport {
  const lines = (marker: string) =>
    stdout
      .split(/\r?\n/)
      .filter((l) => l.startsWith(marker))
      .map((l) => l.slice(marker.length).trim());
  return { changed: lines(UNINSTALL_MARKERS.changed), kept: lines(UNINSTALL_MARKERS.kept), unrecorded: lines(UNINSTALL_MARKERS.unrecorded) };
}
