#!/usr/bin/env bash
# Installs the official clients used by the interop tests into <repo>/.interop/:
#   .interop/node/   socket.io-client (npm)
#   .interop/venv/   python-socketio with its sync and asyncio client extras (PyPI)
# Idempotent: a stamp file per client records the pinned versions, so a second run
# returns at once. Versions are pinned exactly; change them here only.
set -euo pipefail

SOCKET_IO_CLIENT_VERSION=4.8.4
PYTHON_SOCKETIO_VERSION=5.18.1
PYTHON_ENGINEIO_VERSION=4.15.1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="$repo/.interop"
mkdir -p "$dest"

node_stamp="$dest/node/.installed-$SOCKET_IO_CLIENT_VERSION"
if [[ ! -f "$node_stamp" ]]; then
    command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 2; }
    mkdir -p "$dest/node"
    [[ -f "$dest/node/package.json" ]] || printf '{"name":"socketio-interop","private":true,"type":"module"}\n' >"$dest/node/package.json"
    npm install --prefix "$dest/node" --no-audit --no-fund --loglevel=error \
        "socket.io-client@$SOCKET_IO_CLIENT_VERSION" >&2
    touch "$node_stamp"
fi

py_stamp="$dest/venv/.installed-$PYTHON_SOCKETIO_VERSION-$PYTHON_ENGINEIO_VERSION"
if [[ ! -f "$py_stamp" ]]; then
    command -v python3 >/dev/null || { echo "install.sh: python3 not found" >&2; exit 2; }
    [[ -x "$dest/venv/bin/python" ]] || python3 -m venv "$dest/venv"
    "$dest/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "python-socketio[client,asyncio-client]==$PYTHON_SOCKETIO_VERSION" \
        "python-engineio==$PYTHON_ENGINEIO_VERSION" >&2
    touch "$py_stamp"
fi
