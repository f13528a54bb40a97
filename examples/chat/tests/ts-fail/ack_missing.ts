// `join` acknowledges: a plain `emit` must pass the ack callback (or use `emitWithAck`).
// expect: TS2554 Expected 3 arguments, but got 2
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

socket.emit("join", { room: "lobby" });
