/**
 * A WebSocket client on a raw TCP socket, for tests that need what a library client will not do: stop
 * reading (a slow client) or send malformed frames (the fuzz test). RFC 6455 framing, client side.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawWs {
  readonly socket: Socket;
  /** Sends one frame: `opcode` 1 text, 2 binary, 8 close, 9 ping; `fin` false starts a fragment. */
  frame(opcode: number, payload: Uint8Array | string, opts?: { fin?: boolean; mask?: boolean }): void;
  /** Sends a JSON-RPC request as a text frame. */
  request(method: string, params?: unknown, id?: number): void;
  /** Stops reading: the kernel's buffers fill, then the server's. */
  stopReading(): void;
  /** Bytes received so far. */
  received(): number;
  close(): void;
}

/**
 * Opens a WebSocket to `port` on 127.0.0.1 (resolves after the server's 101 answer).
 *
 * @example
 * const ws = await openRawWs(server.port);
 * ws.request("chain_v1_follow", []);
 * ws.stopReading();
 */
export async function openRawWs(port: number): Promise<RawWs> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  const key = randomBytes(16).toString("base64");
  let got = 0;
  await new Promise<void>((ok, fail) => {
    socket.once("connect", () =>
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    let head = "";
    const onData = (c: Buffer) => {
      got += c.length;
      head += c.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      if (!head.startsWith("HTTP/1.1 101")) fail(new Error(`no upgrade: ${head.split("\r\n")[0]}`));
      else ok();
    };
    socket.on("data", onData);
    socket.once("error", fail);
    socket.once("close", () => fail(new Error("closed during the handshake")));
  });
  socket.removeAllListeners("data");
  socket.on("data", (c: Buffer) => {
    got += c.length;
  });
  let id = 1;
  const frame: RawWs["frame"] = (opcode, payload, opts = {}) => {
    const body = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
    const fin = opts.fin ?? true;
    const mask = opts.mask ?? true;
    const len = body.length;
    const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
    head[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
    head[1] = (mask ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
    if (ext === 2) head.writeUInt16BE(len, 2);
    if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
    if (mask) {
      const m = randomBytes(4);
      m.copy(head, 2 + ext);
      for (let i = 0; i < len; i++) body[i]! ^= m[i & 3]!;
    }
    if (!socket.destroyed) socket.write(Buffer.concat([head, body]));
  };
  return {
    socket,
    frame,
    request: (method, params = [], rid = id++) =>
      frame(1, JSON.stringify({ jsonrpc: "2.0", id: rid, method, params })),
    stopReading: () => {
      socket.pause();
    },
    received: () => got,
    close: () => socket.destroy(),
  };
}
