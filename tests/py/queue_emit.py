"""Publish a fixed sequence of operations with python-socketio's own write-only manager.

Usage: queue_emit.py redis|kombu|aiopika URL CHANNEL

Prints `HOST <host_id>` first, then `DONE` once everything is published. The Rust test
(tests/tests/adapter_python_interop.rs) decodes what its broker receives and compares with the expected
envelopes; keep both sides in sync.
"""
import asyncio
import logging
import sys
import types

import socketio

kind, url, channel = sys.argv[1], sys.argv[2], sys.argv[3]


class FakeServer:
    """Just enough of a server for a write-only manager to emit with a callback and to
    publish a disconnect (python calls server.disconnect locally first)."""
    logger = logging.getLogger('fake')

    def disconnect(self, sid, namespace=None, ignore_queue=False):
        pass


class AsyncFakeServer(FakeServer):
    async def disconnect(self, sid, namespace=None, ignore_queue=False):
        pass


def ops(m):
    """(method name, args, kwargs) in the order the Rust test expects."""
    return [
        ('emit', ('text', 'hello'), {}),
        ('emit', ('several', ('a', 1, {'k': [1, 2.5, None]})), {}),
        ('emit', ('bin', {'file': b'\x00\x01\x02', 'name': 'x'}),
         {'namespace': '/chat', 'room': 'r1', 'skip_sid': 's1'}),
        ('emit', ('bins', (b'ab', 'mid', [b'cd'])),
         {'room': ['r1', 'r2'], 'skip_sid': ['s1', 's2']}),
        ('emit', ('noargs', None), {}),
        ('emit', ('ask', 'q'), {'to': 'sid1', 'callback': lambda *a: None}),
        ('enter_room', ('sid1', '/chat', 'room-a'), {}),
        ('leave_room', ('sid1', '/chat', 'room-a'), {}),
        ('close_room', ('room-b',), {'namespace': '/chat'}),
        ('disconnect', ('sid9',), {'namespace': '/chat'}),
        ('_return_callback', ('0123456789abcdef0123456789abcdef', 'sid1', '/', 5, 'ok', 2), {}),
        ('close_room', ('__end__',), {}),
    ]


def run_sync(m):
    m.server = FakeServer()
    print('HOST', m.host_id, flush=True)
    for name, args, kwargs in ops(m):
        getattr(m, name)(*args, **kwargs)
    print('DONE', flush=True)


async def run_async(m):
    m.server = AsyncFakeServer()
    print('HOST', m.host_id, flush=True)
    for name, args, kwargs in ops(m):
        await getattr(m, name)(*args, **kwargs)
    print('DONE', flush=True)


if kind == 'redis':
    run_sync(socketio.RedisManager(url, channel=channel, write_only=True))
elif kind == 'kombu':
    run_sync(socketio.KombuManager(url, channel=channel, write_only=True))
elif kind == 'aiopika':
    asyncio.run(run_async(socketio.AsyncAioPikaManager(url, channel=channel, write_only=True)))
else:
    sys.exit('unknown kind ' + kind)
