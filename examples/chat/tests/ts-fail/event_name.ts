// A client event the server does not handle.
// expect: TS2345 Argument of type '"jion"' is not assignable
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

socket.emit("jion", { room: "lobby" });
