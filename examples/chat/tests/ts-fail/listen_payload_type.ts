// A listener expecting the wrong payload: `message` carries a `Line`.
// expect: TS2345 Type 'Line' is not assignable to type '{ room: number; }'
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

socket.on("message", (line: { room: number }) => console.log(line.room));
