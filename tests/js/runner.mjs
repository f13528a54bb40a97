// Interop scenario runner for socket.io-client (driven by tests/tests/interop_js.rs).
// Usage: node runner.mjs <scenario> <url> <websocket|polling|upgrade>
// Input: JSON in $INTEROP_INPUT; bytes are written {"$bytes": "<hex>"} both ways.
// Input "parser": "msgpack" (or $INTEROP_PARSER=msgpack): every client uses socket.io-msgpack-parser
// (default: the JSON parser).
// Output: one JSON line on stdout (the observations); exit 0, or 1 with {"error": ...}.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.INTEROP_NODE_MODULES || "node_modules", "..", "x.js"));
const { io, Manager } = require("socket.io-client");

const [scenario, url, transport] = process.argv.slice(2);
const input = JSON.parse(process.env.INTEROP_INPUT || "{}");
const msgpack = (input.parser || process.env.INTEROP_PARSER) === "msgpack";
const parser = msgpack ? require("socket.io-msgpack-parser") : undefined;
const STEP = 10000;

const dec = (v) => {
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bytes") return Buffer.from(v.$bytes, "hex");
    return Object.fromEntries(keys.map((k) => [k, dec(v[k])]));
  }
  return v;
};
const enc = (v) => {
  if (v instanceof ArrayBuffer) v = Buffer.from(v);
  if (ArrayBuffer.isView(v)) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex") };
  if (Array.isArray(v)) return v.map(enc);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).map((k) => [k, enc(v[k])]));
  return v;
};
const timeout = (p, what, ms = STEP) =>
  Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms))]);
const once = (emitter, ev, what) => timeout(new Promise((res) => emitter.once(ev, (...a) => res(a))), what || ev);

const opts = () => ({
  forceNew: true,
  reconnection: false,
  transports: transport === "websocket" ? ["websocket"] : transport === "polling" ? ["polling"] : ["polling", "websocket"],
  ...(parser ? { parser } : {}),
});
const managers = [];
function manager() {
  const m = new Manager(url, opts());
  managers.push(m);
  return m;
}
// A socket on `ns`, connected, with its greeting; the upgrade is awaited in upgrade mode.
async function open(m, ns, auth, greeting = ns === "/chat" ? "welcome" : "auth") {
  const s = m.socket(ns, auth ? { auth } : {});
  const greet = once(s, greeting, `${greeting} on ${ns}`);
  const err = new Promise((_, rej) => s.once("connect_error", (e) => rej(new Error(`connect_error ${ns}: ${e.message}`))));
  await Promise.race([once(s, "connect", `connect ${ns}`), err]);
  const g = await Promise.race([greet, err]);
  return { s, greeting: enc(g) };
}
async function upgraded(m) {
  if (transport === "upgrade" && m.engine.transport.name !== "websocket") await once(m.engine, "upgrade", "upgrade");
}
const transportOf = (m) => m.engine.transport.name;
const ack = (s, ev, args) => timeout(new Promise((res) => s.emit(ev, ...args, (...r) => res(r))), `ack of ${ev}`);
const rand = () => Math.random().toString(36).slice(2);

const scenarios = {
  async connect() {
    const out = {};
    for (const [name, nss, auth] of [["A", ["/", "/custom"], null], ["B", ["/", "/custom", "/chat"], { token: "secret" }]]) {
      const m = manager();
      const got = await Promise.all(nss.map((ns) => open(m, ns, auth)));
      await upgraded(m);
      out[name] = Object.fromEntries(nss.map((ns, i) => [ns, { sid: got[i].s.id, greeting: got[i].greeting }]));
      out[name].transport = transportOf(m);
    }
    return out;
  },
  async reject() {
    const out = {};
    for (const [name, auth] of [["bad", { token: "nope" }], ["none", null]]) {
      const s = manager().socket("/chat", auth ? { auth } : {});
      const [e] = await once(s, "connect_error");
      out[name] = { message: e.message, data: e.data ?? null };
    }
    return out;
  },
  async echo() {
    const m = manager();
    const { s } = await open(m, input.namespace || "/", input.namespace === "/chat" ? { token: "secret" } : null);
    await upgraded(m);
    const results = [];
    for (const args of input.values) results.push(enc(await ack(s, "echo", dec(args))));
    return { results, transport: transportOf(m) };
  },
  async request_callback() {
    const m = manager();
    const { s } = await open(m, "/");
    await upgraded(m);
    const ask = new Promise((res) => s.once("ask", (...a) => { const cb = a.pop(); cb("got", ...a); res(a); }));
    const answer = once(s, "answer");
    s.emit("request_callback", ...dec(input.args));
    return { ask: enc(await timeout(ask, "ask")), answer: enc(await answer) };
  },
  async rooms() {
    const tag = rand();
    const room = `room-${tag}`, ev = `in-${tag}`, marker = `end-${tag}`;
    const cs = await Promise.all(["A", "B", "C"].map(async () => { const m = manager(); const c = await open(m, "/"); await upgraded(m); return c.s; }));
    const got = cs.map(() => []);
    const markers = cs.map((s, i) => new Promise((res) => {
      s.on(ev, (d) => got[i].push(enc(d)));
      s.on(marker, () => res(got[i].length));
    }));
    const [A, B, C] = cs;
    const acks = [];
    acks.push(...(await ack(A, "join", [{ room }])), ...(await ack(B, "join", [{ room }])));
    acks.push(...(await ack(A, "to_room", [{ room, event: ev, data: 1 }])));
    acks.push(...(await ack(B, "leave", [{ room }])));
    acks.push(...(await ack(A, "to_room", [{ room, event: ev, data: 2 }])));
    acks.push(...(await ack(C, "join", [{ room }])));
    acks.push(...(await ack(A, "to_room", [{ room, event: ev, data: 3 }])));
    let markerBeforeAck = false;
    markers[0].then(() => { markerBeforeAck = true; });
    const bAck = await ack(A, "broadcast", [{ event: marker, data: null }]);
    const markerSeenAtAck = markerBeforeAck;
    await timeout(Promise.all(markers), "broadcast to all");
    return { acks: [...acks, ...bAck], received: { A: got[0], B: got[1], C: got[2] }, sender_got_broadcast_before_ack: markerSeenAtAck };
  },
  async disconnect_me() {
    const m = manager();
    const main = await open(m, "/");
    const custom = await open(m, "/custom");
    await upgraded(m);
    const reason = once(custom.s, "disconnect");
    custom.s.emit("disconnect_me");
    const [r] = await reason;
    const alive = await ack(main.s, "echo", ["alive"]);
    return { reason: r, custom_connected: custom.s.connected, main_echo: alive, transport: transportOf(m) };
  },
  async payload() {
    const mA = manager(), mB = manager();
    const a = (await open(mA, "/")).s, b = (await open(mB, "/")).s;
    await upgraded(mA); await upgraded(mB);
    const ok = "x".repeat(input.ok_size);
    const [back] = await ack(a, "echo", [ok]);
    let bigAcked = false;
    const gone = once(b, "disconnect", "disconnect of the oversized client");
    b.emit("echo", "y".repeat(input.big_size), () => { bigAcked = true; });
    const [reason] = await gone;
    const alive = await ack(a, "echo", ["still-here"]);
    const c = (await open(manager(), "/")).s; // new clients can still connect
    const fresh = await ack(c, "echo", ["fresh"]);
    return { ok_roundtrip: back === ok, ok_len: back.length, big_reason: reason, big_acked: bigAcked, alive, fresh };
  },
  // permessage-deflate (test bed WS_DEFLATE=1): what Node's `ws` negotiated, and how many
  // bytes the socket read for an echo and a broadcast of a large compressible string.
  async deflate() {
    const mA = manager(), mB = manager();
    const a = (await open(mA, "/")).s, b = (await open(mB, "/")).s;
    await upgraded(mA); await upgraded(mB);
    const ws = (m) => m.engine.transport.ws;
    const extensions = [ws(mA).extensions, ws(mB).extensions];
    const small = enc(await ack(a, "echo", ["hi", 1]));
    const big = "socket.io deflate ".repeat(Math.ceil(input.big_len / 18)).slice(0, input.big_len);
    const before = ws(mA)._socket.bytesRead;
    const [back] = await ack(a, "echo", [big]);
    const echoBytesRead = ws(mA)._socket.bytesRead - before;
    const ev = `bc-${rand()}`;
    const gotA = once(a, ev), gotB = once(b, ev);
    const beforeB = ws(mB)._socket.bytesRead;
    await ack(a, "broadcast", [{ event: ev, data: big }]);
    const [[da], [db]] = await Promise.all([gotA, gotB]);
    const broadcastBytesReadB = ws(mB)._socket.bytesRead - beforeB;
    return {
      extensions, small, echo_ok: back === big, broadcast_ok: da === big && db === big,
      echo_bytes_read: echoBytesRead, broadcast_bytes_read: broadcastBytesReadB,
      transport: [transportOf(mA), transportOf(mB)],
    };
  },
  async load() {
    let disconnects = 0, acks = 0, mismatches = 0;
    const conns = await timeout(Promise.all(Array.from({ length: input.clients }, async (_, i) => {
      const m = manager();
      const { s } = await open(m, "/");
      await upgraded(m);
      s.on("disconnect", () => { disconnects++; });
      return s;
    })), "all clients connected", 60000);
    await timeout(Promise.all(conns.map(async (s, i) => {
      for (let j = 0; j < input.rounds; j++) {
        const [v] = await ack(s, "echo", [{ i, j }]);
        if (v && v.i === i && v.j === j) acks++; else mismatches++;
      }
    })), "all round trips", 120000);
    const upgradedCount = managers.filter((m) => m.engine.transport.name === "websocket").length;
    return { acks, mismatches, disconnects, clients: conns.length, websocket: upgradedCount };
  },
  // Connection state recovery (test bed with RECOVERY_MS = input.recovery_ms): cut the
  // transport of a client in room "r", send it events while it is away (to its sid, to its
  // room, to the namespace, and to a room it is not in), reconnect, then cut it again for
  // longer than the duration.
  async recovery() {
    const m = new Manager(url, { ...opts(), reconnection: false });
    managers.push(m);
    const s = m.socket("/");
    const log = [];
    s.onAny((ev, ...args) => log.push([ev, ...args]));
    s.on("connect", () => log.push(["connect", s.recovered]));
    await once(s, "auth", "first greeting");
    await upgraded(m);
    await ack(s, "join", [{ room: "r" }]);
    const peer = (await open(manager(), "/")).s;
    const first = { id: s.id, recovered: s.recovered, pid: s._pid, offset: s._lastOffset };
    const cut = async () => {
      const gone = once(s, "disconnect", "disconnect after the cut");
      m.engine.close();
      const [reason] = await gone;
      return reason;
    };
    const reconnect = async (greetings) => {
      log.length = 0;
      const back = once(s, "connect", "connect after reconnecting");
      const greet = once(s, "auth", "greeting after reconnecting");
      m.open();
      await back;
      await greet;
      await upgraded(m);
      // Everything in flight before the greeting arrived before it; the greeting is last.
      return { id: s.id, recovered: s.recovered, log: enc(log) };
    };
    // Emits the server handles before it sees the transport go are lost in transit, yet
    // logged: they are replayed all the same.
    const reason = await cut();
    await ack(peer, "to_room", [{ room: first.id, event: "to-me", data: 1 }]);
    await ack(peer, "to_room", [{ room: "r", event: "to-room", data: 2 }]);
    await ack(peer, "to_room", [{ room: "other", event: "to-other", data: 3 }]);
    await ack(peer, "broadcast", [{ event: "to-all", data: 4 }]);
    const second = await reconnect();
    // Still in room "r" after recovering.
    const keptP = once(s, "room-kept", "room-kept");
    await ack(peer, "to_room", [{ room: "r", event: "room-kept", data: 5 }]);
    const kept = await keptP;
    const reason2 = await cut();
    await new Promise((res) => setTimeout(res, input.away_ms));
    const third = await reconnect();
    return { first, reason, second, kept: enc(kept), reason2, third };
  },
  async idle() {
    const kinds = input.clients || 1;
    const cs = await Promise.all(Array.from({ length: kinds }, async () => { const m = manager(); const { s } = await open(m, "/"); await upgraded(m); return s; }));
    let disconnects = 0;
    cs.forEach((s) => s.on("disconnect", () => { disconnects++; }));
    // The idle period is the behaviour under test.
    await new Promise((res) => setTimeout(res, input.ms));
    const echoes = await Promise.all(cs.map((s) => ack(s, "echo", ["after-idle"])));
    return { disconnects, echoes, connected: cs.filter((s) => s.connected).length };
  },
};

try {
  if (!scenarios[scenario]) throw new Error(`unknown scenario ${scenario}`);
  const out = await scenarios[scenario]();
  console.log(JSON.stringify(out));
  managers.forEach((m) => m.engine && m.engine.close());
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.stack || e) }));
  process.exit(1);
}
