#!/usr/bin/env bash
# Creates the python venv used by the cluster interop tests (tests/cluster_interop.rs):
# python-socketio (>= 5.14 speaks the JSON message-queue format; pinned here) with the redis,
# kombu and aio-pika clients. Idempotent. Usage: socketio/tests/cluster/install.sh [venv dir]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${1:-$root/.interop/venv-cluster}"
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  python-socketio==5.18.1 python-engineio==4.15.1 redis==8.1.0 kombu==5.7.0 \
  aio-pika==10.2.1 aiohttp==3.14.5
"$venv/bin/python" -c 'import socketio, redis, kombu, aio_pika, aiohttp; print("cluster venv ready:", socketio.__version__ if hasattr(socketio, "__version__") else "ok")'
