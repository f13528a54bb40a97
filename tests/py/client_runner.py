"""Interop scenario runner for python-socketio (driven by tests/tests/interop_py.rs).

Usage: python client_runner.py <scenario> <url> <websocket|polling|upgrade>
$INTEROP_PY_CLIENT selects `async` (socketio.AsyncClient) or `sync` (socketio.Client, run in
threads). Input "parser": "msgpack" (or $INTEROP_PARSER=msgpack): the clients use
`serializer='msgpack'` (default: the JSON parser). Input: JSON in $INTEROP_INPUT; bytes are written {"$bytes": "<hex>"} both ways.
Output: one JSON line on stdout (the observations); exit 0, or 1 with {"error": ...}.
"""
import asyncio
import json
import os
import sys
import traceback
import uuid

import socketio

SCENARIO, URL, TRANSPORT = sys.argv[1:4]
INPUT = json.loads(os.environ.get("INTEROP_INPUT") or "{}")
SYNC = os.environ.get("INTEROP_PY_CLIENT") == "sync"
STEP = 10.0
PARSER = INPUT.get("parser") or os.environ.get("INTEROP_PARSER")
SERIALIZER = "msgpack" if PARSER == "msgpack" else "default"
TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"]}.get(TRANSPORT, ["polling", "websocket"])


def dec(v):
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, dict):
        if list(v) == ["$bytes"]:
            return bytes.fromhex(v["$bytes"])
        return {k: dec(x) for k, x in v.items()}
    return v


def enc(v):
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    return v


class Client:
    """One python-socketio client, sync or async, behind one awaitable interface.

    Handlers are plain functions; they may run on the client's threads (sync client), so
    they only record and wake the event loop with `call_soon_threadsafe`.
    """

    changed = None

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        kind = socketio.Client if SYNC else socketio.AsyncClient
        self.sio = kind(reconnection=False, serializer=SERIALIZER)
        self.events = []  # (namespace, event, args)

    def wake(self):
        self.loop.call_soon_threadsafe(Client.changed.set)

    def record(self, ns, event, fn=None):
        def handler(*args):
            self.events.append((ns, event, list(args)))
            self.wake()
            return fn(*args) if fn else None
        self.sio.on(event, handler, namespace=ns)

    async def call(self, f, *a, **kw):
        if SYNC:
            return await asyncio.to_thread(f, *a, **kw)
        return await f(*a, **kw)

    async def connect(self, namespaces, auth=None, greet=True):
        for ns in namespaces:
            for ev in ("auth", "welcome", "disconnect", "connect_error"):
                self.record(ns, ev)
        await self.call(self.sio.connect, URL, namespaces=namespaces, auth=auth,
                        transports=TRANSPORTS, wait_timeout=STEP)
        if greet:
            for ns in namespaces:
                g = "welcome" if ns == "/chat" else "auth"
                await until(lambda: self.got(ns, g) is not None, f"{g} on {ns}")
        return self

    def got(self, ns, event):
        for n, e, args in self.events:
            if n == ns and e == event:
                return args
        return None

    async def ack(self, event, args, ns="/"):
        fut = self.loop.create_future()

        def cb(*res):
            self.loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(list(res)))
        await self.call(self.sio.emit, event, tuple(args), namespace=ns, callback=cb)
        return await asyncio.wait_for(fut, STEP)

    async def emit(self, event, args, ns="/"):
        await self.call(self.sio.emit, event, tuple(args), namespace=ns)

    async def disconnect(self):
        await self.call(self.sio.disconnect)


async def until(pred, what, limit=STEP):
    deadline = asyncio.get_running_loop().time() + limit
    while not pred():
        Client.changed.clear()
        if pred():
            break
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise TimeoutError(f"timeout: {what}")
        try:
            await asyncio.wait_for(Client.changed.wait(), left)
        except asyncio.TimeoutError:
            pass


async def connect():
    out = {}
    for name, nss, auth in (("A", ["/", "/custom"], None), ("B", ["/", "/custom", "/chat"], {"token": "secret"})):
        c = await Client().connect(nss, auth)
        out[name] = {ns: {"sid": c.sio.get_sid(ns), "greeting": enc(c.got(ns, "welcome" if ns == "/chat" else "auth"))}
                     for ns in nss}
        out[name]["transport"] = c.sio.transport()
        await c.disconnect()
    return out


async def reject():
    out = {}
    for name, auth in (("bad", {"token": "nope"}), ("none", None)):
        c = Client()
        try:
            await c.connect(["/chat"], auth, greet=False)
            raise RuntimeError("connect to /chat was accepted")
        except socketio.exceptions.ConnectionError:
            pass
        err = c.got("/chat", "connect_error")
        out[name] = err[0] if err and len(err) == 1 else err
    return out


async def echo():
    ns = INPUT.get("namespace", "/")
    c = await Client().connect([ns], {"token": "secret"} if ns == "/chat" else None)
    results = [enc(await c.ack("echo", dec(args), ns)) for args in INPUT["values"]]
    out = {"results": results, "transport": c.sio.transport()}
    await c.disconnect()
    return out


async def request_callback():
    c = Client()
    c.record("/", "ask", lambda *a: ("got", *a))
    c.record("/", "answer")
    await c.connect(["/"])
    await c.emit("request_callback", dec(INPUT["args"]))
    await until(lambda: c.got("/", "answer") is not None, "answer")
    out = {"ask": enc(c.got("/", "ask")), "answer": enc(c.got("/", "answer"))}
    await c.disconnect()
    return out


async def rooms():
    tag = uuid.uuid4().hex
    room, ev, marker = f"room-{tag}", f"in-{tag}", f"end-{tag}"
    cs = []
    for _ in range(3):
        c = Client()
        c.record("/", ev)
        c.record("/", marker)
        cs.append(await c.connect(["/"]))
    a, b, c3 = cs
    acks = []
    acks += await a.ack("join", [{"room": room}])
    acks += await b.ack("join", [{"room": room}])
    acks += await a.ack("to_room", [{"room": room, "event": ev, "data": 1}])
    acks += await b.ack("leave", [{"room": room}])
    acks += await a.ack("to_room", [{"room": room, "event": ev, "data": 2}])
    acks += await c3.ack("join", [{"room": room}])
    acks += await a.ack("to_room", [{"room": room, "event": ev, "data": 3}])
    acks += await a.ack("broadcast", [{"event": marker, "data": None}])
    await until(lambda: all(x.got("/", marker) is not None for x in cs), "broadcast to all")
    received = {name: [enc(args[0]) for n, e, args in x.events if e == ev] for name, x in zip("ABC", cs)}
    for x in cs:
        await x.disconnect()
    return {"acks": acks, "received": received}


async def disconnect_me():
    c = await Client().connect(["/", "/custom"])
    await c.emit("disconnect_me", [], "/custom")
    await until(lambda: c.got("/custom", "disconnect") is not None, "disconnect of /custom")
    reason = c.got("/custom", "disconnect")
    alive = await c.ack("echo", ["alive"])
    out = {"reason": reason[0] if reason else None, "main_echo": alive, "transport": c.sio.transport()}
    await c.disconnect()
    return out


async def payload():
    a = await Client().connect(["/"])
    b = await Client().connect(["/"])
    ok = "x" * INPUT["ok_size"]
    back = await a.ack("echo", [ok])
    acked = []
    await b.call(b.sio.emit, "echo", ("y" * INPUT["big_size"],), namespace="/", callback=lambda *r: acked.append(1))
    await until(lambda: b.got("/", "disconnect") is not None, "disconnect of the oversized client")
    alive = await a.ack("echo", ["still-here"])
    fresh_client = await Client().connect(["/"])
    fresh = await fresh_client.ack("echo", ["fresh"])
    out = {"ok_roundtrip": back == [ok], "ok_len": len(back[0]), "big_reason": b.got("/", "disconnect")[0],
           "big_acked": bool(acked), "alive": alive, "fresh": fresh}
    for x in (a, fresh_client):
        await x.disconnect()
    return out


async def load():
    n, rounds = INPUT["clients"], INPUT["rounds"]
    cs = await asyncio.wait_for(asyncio.gather(*(Client().connect(["/"]) for _ in range(n))), 60)
    stats = {"acks": 0, "mismatches": 0}

    async def run(i, c):
        for j in range(rounds):
            v = await c.ack("echo", [{"i": i, "j": j}])
            stats["acks" if v == [{"i": i, "j": j}] else "mismatches"] += 1
    await asyncio.wait_for(asyncio.gather(*(run(i, c) for i, c in enumerate(cs))), 120)
    disconnects = sum(1 for c in cs for _, e, _ in c.events if e == "disconnect")
    websocket = sum(1 for c in cs if c.sio.transport() == "websocket")
    await asyncio.gather(*(c.disconnect() for c in cs))
    return {**stats, "disconnects": disconnects, "clients": len(cs), "websocket": websocket}


async def idle():
    cs = [await Client().connect(["/"]) for _ in range(INPUT.get("clients", 1))]
    await asyncio.sleep(INPUT["ms"] / 1000)  # the idle period is the behaviour under test
    disconnects = sum(1 for c in cs for _, e, _ in c.events if e == "disconnect")
    echoes = [await c.ack("echo", ["after-idle"]) for c in cs]
    connected = sum(1 for c in cs if c.sio.connected)
    for c in cs:
        await c.disconnect()
    return {"disconnects": disconnects, "echoes": echoes, "connected": connected}


async def main():
    Client.changed = asyncio.Event()
    scenarios = {f.__name__: f for f in (connect, reject, echo, request_callback, rooms, disconnect_me,
                                          payload, load, idle)}
    fn = scenarios.get(SCENARIO)
    if fn is None:
        raise RuntimeError(f"unknown scenario {SCENARIO}")
    return await fn()


if __name__ == "__main__":
    try:
        result = asyncio.run(main())
    except BaseException:  # noqa: BLE001 - report every failure as JSON
        print(json.dumps({"error": traceback.format_exc()}), flush=True)
        os._exit(1)
    print(json.dumps(result), flush=True)
    os._exit(0)
