#!/bin/sh
# Installs the official Socket.IO browser client from npm into examples/chat/.client
# (gitignored); the chat server serves its `dist/socket.io.min.js` at `/socket.io.min.js`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
npm install --no-audit --no-fund --silent --prefix "$here/.client" socket.io-client@4.8.4
