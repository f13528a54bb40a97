#!/usr/bin/env bash
# The one python environment of the tests: <repo>/.interop/venv (git-ignored), with the
# packages of tests/requirements.txt (python-socketio's sync and asyncio clients, its Redis /
# Kombu / aio-pika managers, aiohttp), every package pinned by tests/constraints.txt. The
# scripts it runs live in tests/py/. Versions live in those two files only.
# Idempotent: a stamp named after the hash of both files makes a second run return at once,
# and an edit of either reinstalls.
# Usage: tests/install/python.sh [venv dir, default <repo>/.interop/venv]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${1:-$root/.interop/venv}"
req="$root/tests/requirements.txt"
constraints="$root/tests/constraints.txt"
stamp="$venv/.installed-$(cat "$req" "$constraints" | sha256sum | cut -c1-16)"
[[ -f "$stamp" ]] && exit 0
command -v python3 >/dev/null || { echo "python.sh: python3 not found" >&2; exit 2; }
if [[ ! -x "$venv/bin/python" ]]; then
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" -c "$constraints"
"$venv/bin/python" -c 'import socketio, engineio, redis, kombu, aio_pika, aiohttp, requests, websocket'
touch "$stamp"
echo "python venv ready: $venv" >&2
