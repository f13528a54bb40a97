// The chat page: the official socket.io-client talking to the `/chat` namespace.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;
let room = null;

function status(text) {
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
  if (socket) socket.disconnect();
  socket = io("/chat", { auth: { nick: $("nick").value } });
  socket.on("connect", () => status(`connected as ${$("nick").value || "anonymous"}`));
  socket.on("connect_error", (err) => status(`cannot connect: ${err.message}`));
  socket.on("disconnect", (reason) => status(`disconnected: ${reason}`));
  socket.on("message", show);
});

$("rooms").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!socket) return status("connect first");
  const reply = await socket.emitWithAck("join", { room: $("room").value });
  if (reply && reply.error) return status(reply.error);
  room = reply;
  status(`in room ${room}`);
});

$("leave").addEventListener("click", () => {
  if (!socket || !room) return;
  socket.emit("leave", { room });
  status(`left ${room}`);
  room = null;
});

$("say").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!socket || !room) return status("join a room first");
  const text = $("text").value;
  $("text").value = "";
  const reply = await socket.emitWithAck("message", { room, text });
  if (reply && reply.error) status(reply.error);
});
