// node benches/client.mjs <url> <json|msgpack> <echo|bcast> <n> [receivers] (socket.io-client and
// socket.io-msgpack-parser from tests/install/npm.sh):
// echo: n sequential acked echoes. bcast: n acked broadcasts to every socket of `/` (the
// sender and `receivers` others), each awaited until every receiver has it.
import { createRequire } from "node:module";
const require = createRequire(new URL("../.interop/node/node_modules/x.js", import.meta.url));
const { io } = require("socket.io-client");
const [url, parserName, mode, n, r] = [process.argv[2], process.argv[3], process.argv[4], +process.argv[5], +(process.argv[6] || 0)];
const parser = parserName === "msgpack" ? require("socket.io-msgpack-parser") : undefined;
const open = () => new Promise((res, rej) => {
  const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, ...(parser ? { parser } : {}) });
  s.once("connect", () => res(s)); s.once("connect_error", rej);
});
const s = await open();
if (mode === "echo") {
  for (let i = 0; i < n; i++) {
    const back = await s.timeout(60000).emitWithAck("echo", "hello", i);
    if (back !== "hello") throw new Error("mismatch " + back);
  }
} else {
  const rs = [];
  for (let i = 0; i < r; i++) rs.push(await open());
  let got = 0, want = 0, wake = null;
  for (const c of rs) c.on("bc", () => { got++; if (got >= want && wake) { const w = wake; wake = null; w(); } });
  for (let i = 0; i < n; i++) {
    want += r;
    const done = new Promise((res) => { wake = res; if (got >= want) { wake = null; res(); } });
    const ok = await s.timeout(60000).emitWithAck("broadcast", { event: "bc", data: { i, text: "hello world" } });
    if (ok !== true) throw new Error("ack " + ok);
    await done;
  }
  for (const c of rs) c.close();
}
s.close();
process.exit(0);
