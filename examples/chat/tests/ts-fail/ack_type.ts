// The wrong ack type: `join` acknowledges with `string | { error: string }`.
// expect: TS2322 Type 'string | { error: string; }' is not assignable to type 'number'
export {};
type ChatSocket = import("socket.io-client").Socket<
  import("../../static/contract").ChatServerToClientEvents,
  import("../../static/contract").ChatClientToServerEvents
>;
declare const socket: ChatSocket;

async function join(): Promise<number> {
  return await socket.emitWithAck("join", { room: "lobby" });
}
