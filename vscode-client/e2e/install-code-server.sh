#!/bin/bash
# code-server 4.100.3 (VS Code 1.100.3) for node 20, from the npm registry and Debian's packages only
# (no download from GitHub). Used by `make vscode-e2e-deps` for the VS Code end-to-end tests.
#
# usage: install-code-server.sh <dir>       (then <dir>/node_modules/.bin/code-server)
#
# Idempotent: a complete install at <dir> (marked by <dir>/.installed-4.100.3) is left as it is.
# Needs root for apt-get (the build tools of the native modules and ripgrep); takes ~75 s.
set -euo pipefail
VERSION=4.100.3
DIR=${1:?usage: install-code-server.sh <dir>}
MARK="$DIR/.installed-$VERSION"
if [ -f "$MARK" ] && [ -x "$DIR/node_modules/.bin/code-server" ]; then
    echo "code-server $VERSION already installed: $DIR/node_modules/.bin/code-server"
    exit 0
fi
missing=()
for pkg in build-essential pkg-config python3 libkrb5-dev ripgrep; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-code-server.sh: needs root to install ${missing[*]} with apt-get" >&2
        exit 1
    fi
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        apt-get install -y -q "${missing[@]}" >/dev/null
    }
fi
rm -rf "$DIR"  # a half-finished install is started over
mkdir -p "$DIR" && cd "$DIR"
echo '{"name":"cs-host","version":"0.0.0","private":true}' > package.json
export npm_config_yes=true            # ~/.npmrc may say yes=false; node-pty's postinstall runs `npx node-gyp`
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
npm install --no-audit --no-fund "code-server@$VERSION" --ignore-scripts  # skip postinstall.sh (ripgrep from GitHub)
npm rebuild argon2                                                       # prebuilt download fails -> compiles from source
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg  # postinstall then skips the download
npm rebuild                                                              # builds node-pty, spdlog, kerberos, native-watchdog, ...
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)
touch "$MARK"
echo "code-server $VERSION installed: $DIR/node_modules/.bin/code-server"
