// A listener for an event the server does not emit.
// expect: TS2345 Argument of type '"typing"' is not assignable
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

socket.on("typing", () => {});
