// A payload of the wrong shape: `leave` takes `{ room: string }`.
// expect: TS2322 Type 'number' is not assignable to type 'string'
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

socket.emit("leave", { room: 42 });
