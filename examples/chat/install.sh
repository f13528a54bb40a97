#!/bin/sh
# Installs the official Socket.IO browser client into examples/chat/.client (gitignored) with
# `npm ci` from the committed lockfile examples/chat/npm/package-lock.json (socket.io-client 4.8.4;
# change the version there: edit npm/package.json, then `npm install --package-lock-only` in npm/).
# The chat server serves its `dist/socket.io.min.js` at `/socket.io.min.js`. Idempotent: a stamp
# named after the lockfile's hash makes a second run return at once.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/.client"
stamp="$dest/node_modules/.installed-$(sha256sum "$here/npm/package-lock.json" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
mkdir -p "$dest"
cp "$here/npm/package.json" "$here/npm/package-lock.json" "$dest/"
npm ci --no-audit --no-fund --loglevel=error --prefix "$dest"
touch "$stamp"
