#!/usr/bin/env bash
# Every npm package the tests use, with `npm ci` from the lockfile committed in each folder,
# into git-ignored folders (versions live in those package.json / package-lock.json only):
#   tests/js/            socket.io-client of the interop runner   -> .interop/node/node_modules
#   tests/js2/           socket.io-client 2.x (Engine.IO v3)      -> .interop/node2/node_modules
#   examples/chat/npm/   socket.io-client served by the chat page -> examples/chat/.client/node_modules
#   tests/browser/       playwright-core (driver only; the browser is Debian's chromium)
#                                                                 -> tests/browser/node_modules
# Idempotent: each install leaves a stamp named after the hash of its lockfile, so a second run
# returns at once and an edit reinstalls. To change a version: edit the folder's package.json,
# then `npm install --package-lock-only` there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# npm_ci <folder with package.json + package-lock.json> <install prefix>
npm_ci() {
    local src="$1" dest="$2"
    local stamp="$dest/node_modules/.installed-$(sha256sum "$src/package-lock.json" | cut -c1-16)"
    [[ -f "$stamp" ]] && return 0
    command -v npm >/dev/null || { echo "npm.sh: npm not found" >&2; exit 2; }
    mkdir -p "$dest"
    if [[ "$src" != "$dest" ]]; then
        cp "$src/package.json" "$src/package-lock.json" "$dest/"
    fi
    npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >&2
    touch "$stamp"
}

npm_ci "$root/tests/js" "$root/.interop/node"
npm_ci "$root/tests/js2" "$root/.interop/node2"
npm_ci "$root/examples/chat/npm" "$root/examples/chat/.client"
npm_ci "$root/tests/browser" "$root/tests/browser"
