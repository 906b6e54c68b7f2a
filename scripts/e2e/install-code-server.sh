#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) for the end-to-end test, offline-safe: only the npm
# registry and Debian's packages are used. Cached in $DURABLE_DEVKIT_CACHE (default ~/.cache/durable-devkit), keyed by
# version, so CI pays the ~90 s once per machine. Prints the path of code-server's entry script on its last line.
set -euo pipefail
VERSION=4.100.3 # the newest code-server that runs on Node 20 (VS Code 1.100)
CACHE="${DURABLE_DEVKIT_CACHE:-$HOME/.cache/durable-devkit}"
DIR="$CACHE/code-server-$VERSION"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_apt[@]}" >&2
fi

if [ -f "$DIR/.complete" ]; then
  echo "$ENTRY"
  exit 0
fi
echo "installing code-server $VERSION into $DIR (once)" >&2
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR"
echo '{ "name": "code-server-cache", "private": true }' > package.json
# Its postinstall downloads ripgrep from GitHub, which is unreachable here: install without scripts, then build the
# native modules ourselves and put Debian's ripgrep where VS Code looks for it.
npm install --ignore-scripts --no-audit --no-fund "code-server@$VERSION" >&2
(
  cd node_modules/code-server/lib/vscode
  npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  npm_config_yes=true npm rebuild --omit=dev >&2
  ln -sfn node_modules node_modules.asar
  cd extensions
  npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
)
# argon2 (code-server's password hashing, a native module) is hoisted to the top node_modules.
npm_config_yes=true npm rebuild argon2 >&2
# npm may report success for native builds it skipped: check that the modules exist before trusting the cache.
V=node_modules/code-server/lib/vscode/node_modules
for native in node_modules/argon2/lib/binding/napi-v3/argon2.node "$V/@vscode/spdlog/build/Release/spdlog.node" "$V/node-pty/build/Release/pty.node"; do
  [ -f "$native" ] || { echo "code-server install: $native was not built" >&2; exit 1; }
done
touch .complete
echo "$ENTRY"
