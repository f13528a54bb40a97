#!/usr/bin/env bash
# Creates the python venv of the tests (the interop clients and the cluster interop tests,
# tests/cluster_interop.rs): tests/requirements.txt (python-socketio with its clients and its
# redis, kombu and aio-pika managers, aiohttp) with every package pinned by tests/constraints.txt.
# tests/interop/install.sh runs it too. Idempotent: a stamp named after the hash of both files.
# Usage: socketio/tests/cluster/install.sh [venv dir, default <repo>/.interop/venv]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${1:-$root/.interop/venv}"
req="$root/tests/requirements.txt"
constraints="$root/tests/constraints.txt"
stamp="$venv/.installed-$(cat "$req" "$constraints" | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
command -v python3 >/dev/null || { echo "install.sh: python3 not found" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" -c "$constraints"
"$venv/bin/python" -c 'import socketio, engineio, redis, kombu, aio_pika, aiohttp, requests, websocket'
touch "$stamp"
echo "python venv ready: $venv"
