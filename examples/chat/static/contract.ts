// The Socket.IO contract of this server, generated from its Rust namespaces by
// `socketio::typescript`: do not edit (rerun its freshness test with
// SOCKETIO_UPDATE_TYPESCRIPT=1). For each namespace, with socket.io-client:
//   const socket: Socket<XServerToClientEvents, XClientToServerEvents> = io("/x");

/**
 * Connect auth: the nick to start with.
 */
export type Hello = { 
/**
 * The nick; `anonymous` when empty or missing.
 */
nick: string, };

/**
 * `join`: enter a room.
 */
export type Join = { 
/**
 * The room.
 */
room: string, };

/**
 * `leave`: leave a room.
 */
export type Leave = { 
/**
 * The room.
 */
room: string, };

/**
 * What members of a room receive, as the `message` event.
 */
export type Line = { 
/**
 * The room.
 */
room: string, 
/**
 * Who said it (`*` for notices).
 */
nick: string, 
/**
 * What was said.
 */
text: string, };

/**
 * `message`: say something in a room the sender has joined.
 */
export type Say = { 
/**
 * The room.
 */
room: string, 
/**
 * The text.
 */
text: string, };

/**
 * `nick`: change nick.
 */
export type SetNick = { 
/**
 * The new nick.
 */
nick: string, };

/** Namespace `/chat` (`chat::Chat`). */
export interface ChatServerToClientEvents {
  "message": (payload: Line) => void;
}

export interface ChatClientToServerEvents {
  "join": (join: Join, ack: (res: string | { error: string }) => void) => void;
  "leave": (leave: Leave) => void;
  "nick": (set: SetNick, ack: (res: string | { error: string }) => void) => void;
  "message": (say: Say, ack: (res: undefined | { error: string }) => void) => void;
}

/** The `auth` option of `io("/chat", { auth })`. */
export type ChatAuth = Hello;

