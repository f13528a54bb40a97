"""Receive messages through python-socketio's own manager listen path and print what python
understood, one JSON line per operation.

Usage: queue_listen.py redis|kombu URL CHANNEL HOST_ID

Runs the manager's real `_thread` loop (its `_listen` generator, `json.loads`, host_id
filtering and `_handle_*` methods). Only the final targets are replaced by recorders: the
base `Manager.emit/enter_room/leave_room/close_room`, `server.disconnect` and
`trigger_callback`. The manager's host id is set to HOST_ID so that `callback` messages
addressed to it are accepted. Synchronisation: the Rust side publishes
`close_room("__ready__")` until this prints `READY`; `close_room("__end__")` ends the run.
"""
import json
import logging
import sys

import socketio
from socketio import manager as base

kind, url, channel, host_id = sys.argv[1:5]
ready = False


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return {'$bytes': bytes(v).hex()}
    if isinstance(v, tuple):
        return {'$tuple': [plain(i) for i in v]}
    if isinstance(v, list):
        return [plain(i) for i in v]
    if isinstance(v, dict):
        return {k: plain(i) for k, i in v.items()}
    return v


def out(**kw):
    print(json.dumps(plain(kw)), flush=True)


class Done(BaseException):
    pass


def rec_emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, **kw):
    out(op='emit', event=event, data=data, namespace=namespace, room=room,
        skip_sid=skip_sid, callback=callback is not None)


def rec_enter(self, sid, namespace, room, eio_sid=None):
    out(op='enter_room', sid=sid, namespace=namespace, room=room)


def rec_leave(self, sid, namespace, room):
    out(op='leave_room', sid=sid, namespace=namespace, room=room)


def rec_close(self, room, namespace):
    global ready
    if room == '__ready__':
        if not ready:
            ready = True
            print('READY', flush=True)
        return
    if room == '__end__':
        raise Done()
    out(op='close_room', room=room, namespace=namespace)


base.Manager.emit = rec_emit
base.Manager.enter_room = rec_enter
base.Manager.leave_room = rec_leave
base.Manager.close_room = rec_close


class FakeServer:
    logger = logging.getLogger('fake')

    def disconnect(self, sid, namespace=None, ignore_queue=False):
        out(op='disconnect', sid=sid, namespace=namespace, ignore_queue=ignore_queue)


def make(cls):
    class Listening(cls):
        def is_connected(self, sid, namespace):
            return True

        def trigger_callback(self, sid, id, data):
            out(op='callback', sid=sid, id=id, args=list(data))

    return Listening


if kind == 'redis':
    m = make(socketio.RedisManager)(url, channel=channel)
elif kind == 'kombu':
    m = make(socketio.KombuManager)(url, channel=channel)
else:
    sys.exit('unknown kind ' + kind)
m.server = FakeServer()
m.host_id = host_id
try:
    m._thread()
except Done:
    print('END', flush=True)
