#!/usr/bin/env bash
# Installs the official clients the tests use into <repo>/.interop/ (git-ignored):
#   .interop/node/   socket.io-client: `npm ci` from the committed tests/interop/js/package-lock.json
#   .interop/venv/   python-socketio (sync and asyncio clients, and the Redis / Kombu / aio-pika
#                    managers of the cluster tests): tests/requirements.txt, every package pinned
#                    by tests/constraints.txt
# Versions live in those files only. Idempotent: each install leaves a stamp named after the hash
# of its lock/constraints files, so a second run returns at once and an edit reinstalls.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="$repo/.interop"
mkdir -p "$dest"
hash() { cat "$@" | sha256sum | cut -c1-16; }

js="$repo/tests/interop/js"
node_stamp="$dest/node/node_modules/.installed-$(hash "$js/package-lock.json")"
if [[ ! -f "$node_stamp" ]]; then
    command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 2; }
    mkdir -p "$dest/node"
    cp "$js/package.json" "$js/package-lock.json" "$dest/node/"
    npm ci --prefix "$dest/node" --no-audit --no-fund --loglevel=error >&2
    touch "$node_stamp"
fi

bash "$repo/socketio/tests/cluster/install.sh" "$dest/venv" >&2
