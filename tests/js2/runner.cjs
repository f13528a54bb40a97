// Interop scenario runner for socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4),
// driven by tests/tests/interop_eio3.rs against the test bed with ALLOW_EIO3=1.
// Usage: node runner.cjs <scenario> <url> <websocket|polling|upgrade>
// Modules: $INTEROP_NODE2_MODULES (this folder's socket.io-client 2.x, installed by
// tests/install/npm.sh into .interop/node2) and, for the `mixed` scenario, $INTEROP_NODE_MODULES
// (socket.io-client 4.x of tests/js).
// Input: JSON in $INTEROP_INPUT; bytes are written {"$bytes": "<hex>"} both ways.
// Output: one JSON line on stdout (the observations); exit 0, or 1 with {"error": ...}.
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");

const req2 = createRequire(path.join(process.env.INTEROP_NODE2_MODULES || "node_modules", "..", "x.js"));
const io2 = req2("socket.io-client");

const [scenario, url, transport] = process.argv.slice(2);
const input = JSON.parse(process.env.INTEROP_INPUT || "{}");
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

const transports = transport === "websocket" ? ["websocket"] : transport === "polling" ? ["polling"] : ["polling", "websocket"];
const managers = [];
// A 2.x manager; `query` goes into the Engine.IO handshake URL (the only place a protocol-v4
// client can put a token).
function manager(query) {
  const m = new io2.Manager(url, { forceNew: true, reconnection: false, transports, ...(query ? { query } : {}) });
  managers.push(m);
  return m;
}
// A socket on `ns`, connected, with its greeting; namespace errors arrive as `error`.
async function open(m, ns, greeting = ns === "/chat" ? "welcome" : "auth") {
  const s = m.socket(ns);
  const greet = once(s, greeting, `${greeting} on ${ns}`);
  const err = new Promise((_, rej) => {
    s.once("error", (e) => rej(new Error(`error on ${ns}: ${JSON.stringify(e)}`)));
    s.once("connect_error", (e) => rej(new Error(`connect_error ${ns}: ${e && e.message}`)));
  });
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
    for (const [name, nss, query] of [["A", ["/", "/custom"], null], ["B", ["/", "/custom", "/chat"], { token: "secret" }]]) {
      const m = manager(query);
      const got = [];
      for (const ns of nss) got.push(await open(m, ns));
      await upgraded(m);
      out[name] = Object.fromEntries(nss.map((ns, i) => [ns, { greeting: got[i].greeting }]));
      out[name].transport = transportOf(m);
    }
    return out;
  },
  async reject() {
    const out = {};
    for (const [name, query] of [["bad", { token: "nope" }], ["none", null]]) {
      const m = manager(query);
      const s = m.socket("/chat");
      const connected = once(s, "connect").then(() => true, () => false);
      const [e] = await once(s, "error", `error on /chat (${name})`);
      out[name] = { error: enc(e), connected: s.connected };
      void connected;
    }
    return out;
  },
  async echo() {
    const ns = input.namespace || "/";
    const m = manager(ns === "/chat" ? { token: "secret" } : null);
    const { s } = await open(m, ns);
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
    const cs = [];
    for (let i = 0; i < 3; i++) { const m = manager(); const c = await open(m, "/"); await upgraded(m); cs.push(c.s); }
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
    acks.push(...(await ack(A, "broadcast", [{ event: marker, data: null }])));
    await timeout(Promise.all(markers), "broadcast to all");
    return { acks, received: { A: got[0], B: got[1], C: got[2] } };
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
  // A message over maxPayload ends only its own client's connection.
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
    return { ok_roundtrip: back === ok, big_reason: reason, big_acked: bigAcked, alive };
  },
  // Idle clients stay connected: the client-driven heartbeat of Engine.IO v3 keeps them.
  async idle() {
    const cs = [];
    for (let i = 0; i < (input.clients || 1); i++) { const m = manager(); const { s } = await open(m, "/"); await upgraded(m); cs.push(s); }
    let disconnects = 0;
    cs.forEach((s) => s.on("disconnect", () => { disconnects++; }));
    // The idle period is the behaviour under test.
    await new Promise((res) => setTimeout(res, input.ms));
    const echoes = await Promise.all(cs.map((s) => ack(s, "echo", ["after-idle"])));
    return { disconnects, echoes, connected: cs.filter((s) => s.connected).length };
  },
  // A 2.x client (Engine.IO v3) and a 4.x client (Engine.IO v4) in one room: each one's
  // `to_room` reaches the other, and each one's broadcast reaches the other.
  async mixed() {
    const req4 = createRequire(path.join(process.env.INTEROP_NODE_MODULES || "node_modules", "..", "x.js"));
    const io4 = req4("socket.io-client");
    const tag = rand();
    const room = `mixed-${tag}`, ev = `in-${tag}`, marker = `all-${tag}`;
    const m2 = manager();
    const old = (await open(m2, "/")).s;
    await upgraded(m2);
    const m4 = new io4.Manager(url, { forceNew: true, reconnection: false, transports });
    managers.push(m4);
    const s4 = m4.socket("/");
    const greet4 = once(s4, "auth", "auth on the v4 client");
    await once(s4, "connect", "connect of the v4 client");
    await greet4;
    if (transport === "upgrade" && m4.engine.transport.name !== "websocket") await once(m4.engine, "upgrade", "v4 upgrade");
    const got = { v3: [], v4: [] };
    old.on(ev, (d) => got.v3.push(enc(d)));
    s4.on(ev, (d) => got.v4.push(enc(d)));
    const seen4 = once(s4, marker, "broadcast on the v4 client");
    const acks = [];
    acks.push(...(await ack(old, "join", [{ room }])), ...(await ack(s4, "join", [{ room }])));
    const to4 = once(s4, ev, "v3 -> v4 room event");
    acks.push(...(await ack(old, "to_room", [{ room, event: ev, data: { from: "v3", b: Buffer.from([1, 2]) } }])));
    await to4;
    const to3 = once(old, ev, "v4 -> v3 room event");
    acks.push(...(await ack(s4, "to_room", [{ room, event: ev, data: { from: "v4", b: Buffer.from([3]) } }])));
    await to3;
    acks.push(...(await ack(old, "broadcast", [{ event: marker, data: "hi" }])));
    const [b] = await seen4;
    const seen3 = once(old, `${marker}-back`, "broadcast on the v3 client");
    acks.push(...(await ack(s4, "broadcast", [{ event: `${marker}-back`, data: "back" }])));
    const [back] = await seen3;
    return { acks, received: got, broadcast: b, broadcast_back: back, transports: [transportOf(m2), m4.engine.transport.name] };
  },
};

(async () => {
  try {
    if (!scenarios[scenario]) throw new Error(`unknown scenario ${scenario}`);
    const out = await scenarios[scenario]();
    console.log(JSON.stringify(out));
    managers.forEach((m) => m.engine && m.engine.close());
    process.exit(0);
  } catch (e) {
    console.log(JSON.stringify({ error: String((e && e.stack) || e) }));
    process.exit(1);
  }
})();
