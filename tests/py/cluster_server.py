"""A python-socketio peer server for the cluster tests (tests/tests/cluster_*.rs): an
AsyncServer on aiohttp with AsyncRedisManager / AsyncAioPikaManager and the test-bed handlers
of /shared testbed.md (namespaces `/` and `/custom`).

Usage: cluster_server.py redis|aiopika URL CHANNEL

Listens on 127.0.0.1 on a free port and prints `READY <port>` once serving.
"""
import asyncio
import sys

import socketio
from aiohttp import web

kind, url, channel = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == 'redis':
    mgr = socketio.AsyncRedisManager(url, channel=channel)
elif kind == 'aiopika':
    mgr = socketio.AsyncAioPikaManager(url, channel=channel)
else:
    sys.exit(f'unknown manager {kind}')

# always_connect: CONNECT goes out before the connect handler, so the `auth` greeting
# follows it, as the Rust test bed does.
sio = socketio.AsyncServer(async_mode='aiohttp', client_manager=mgr,
                           cors_allowed_origins='*', always_connect=True)
app = web.Application()
sio.attach(app)


def register(ns):
    @sio.on('connect', namespace=ns)
    async def connect(sid, environ, auth=None):
        await sio.emit('auth', auth if auth is not None else {}, to=sid, namespace=ns)

    @sio.on('echo', namespace=ns)
    async def echo(sid, *args):
        return args

    @sio.on('join', namespace=ns)
    async def join(sid, data):
        await sio.enter_room(sid, data['room'], namespace=ns)
        return True

    @sio.on('leave', namespace=ns)
    async def leave(sid, data):
        await sio.leave_room(sid, data['room'], namespace=ns)
        return True

    @sio.on('to_room', namespace=ns)
    async def to_room(sid, data):
        await sio.emit(data['event'], data['data'], room=data['room'], skip_sid=sid,
                       namespace=ns)
        return True

    @sio.on('broadcast', namespace=ns)
    async def broadcast(sid, data):
        await sio.emit(data['event'], data['data'], namespace=ns)
        return True

    @sio.on('disconnect_sid', namespace=ns)
    async def disconnect_sid(sid, data):
        await sio.disconnect(data['sid'], namespace=ns)
        return True

    @sio.on('call_sid', namespace=ns)
    async def call_sid(sid, data):
        done = asyncio.get_running_loop().create_future()

        def answered(*args):
            if not done.done():
                done.set_result(args)
        await sio.emit('ask', data['data'], to=data['sid'], namespace=ns, callback=answered)
        try:
            return await asyncio.wait_for(done, 5)
        except asyncio.TimeoutError:
            return ()


for ns in ('/', '/custom'):
    register(ns)


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print('READY', port, flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
