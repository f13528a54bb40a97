"""python-socketio's write-only managers as an emitter process for the cluster tests.

Usage: cluster_emitter.py redis|kombu URL CHANNEL TAG

Publishes, with `RedisManager(write_only=True)` or `KombuManager(write_only=True)`:
  1. emit `py_all` with {"tag": TAG, "bin": b"\\x01\\x02"} to every client of `/`
  2. emit `py_room` with [TAG, 2] (two arguments) to room `r` of `/`
then prints `DONE`.
"""
import sys

import socketio

kind, url, channel, tag = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
if kind == 'redis':
    m = socketio.RedisManager(url, channel=channel, write_only=True)
elif kind == 'kombu':
    m = socketio.KombuManager(url, channel=channel, write_only=True)
else:
    sys.exit(f'unknown manager {kind}')
m.emit('py_all', {'tag': tag, 'bin': b'\x01\x02'}, namespace='/')
m.emit('py_room', (tag, 2), namespace='/', room='r')
print('DONE', flush=True)
