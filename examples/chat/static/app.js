// The chat page: the official socket.io-client (the global `io` of /socket.io.min.js) talking
// to the `/chat` namespace, typed by the contract the server renders (`contract.ts`).
// Compiled to `app.js` by `tsc -p examples/chat` (`tests/typescript.rs` checks both are fresh).
"use strict";
function $(id) {
    const element = document.getElementById(id);
    if (!element)
        throw new Error(`no element #${id}`);
    return element;
}
const input = (id) => $(id);
let socket = null;
let room = null;
function setStatus(text) {
    $("status").textContent = text;
}
function show(line) {
    const li = document.createElement("li");
    li.className = line.nick === "*" ? "notice" : "line";
    li.textContent = line.nick === "*" ? `[${line.room}] ${line.text}` : `[${line.room}] ${line.nick}: ${line.text}`;
    $("log").appendChild(li);
}
$("login").addEventListener("submit", (e) => {
    e.preventDefault();
    if (socket)
        socket.disconnect();
    const auth = { nick: input("nick").value };
    const next = io("/chat", { auth });
    socket = next;
    next.on("connect", () => setStatus(`connected as ${input("nick").value || "anonymous"}`));
    next.on("connect_error", (err) => setStatus(`cannot connect: ${err.message}`));
    next.on("disconnect", (reason) => setStatus(`disconnected: ${reason}`));
    next.on("message", show);
});
$("rooms").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!socket)
        return setStatus("connect first");
    const reply = await socket.emitWithAck("join", { room: input("room").value });
    if (typeof reply !== "string")
        return setStatus(reply.error);
    room = reply;
    setStatus(`in room ${room}`);
});
$("leave").addEventListener("click", () => {
    if (!socket || !room)
        return;
    socket.emit("leave", { room });
    setStatus(`left ${room}`);
    room = null;
});
$("say").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!socket || !room)
        return setStatus("join a room first");
    const text = input("text").value;
    input("text").value = "";
    const reply = await socket.emitWithAck("message", { room, text });
    if (reply)
        setStatus(reply.error);
});
