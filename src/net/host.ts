/**
 * The libp2p host (DESIGN §11): TCP + Noise + Yamux, gossipsub topics for blocks, transactions and votes,
 * request–response protocols for sync and status, identify, ping and bootstrap. Every inbound message is
 * bounded in size and rate per peer; a peer that sends garbage is scored down and, past a threshold,
 * disconnected and refused for a while. Handlers never throw into libp2p: a bad message is a verdict.
 */
import "./polyfill.ts";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { bootstrap } from "@libp2p/bootstrap";
import { gossipsub, TopicValidatorResult } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { PeerId, PrivateKey, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { toHex } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { NetError } from "./errors.ts";
import { createPeerGuard, type PeerGuard } from "./guard.ts";
import { MAX_BLOCK_BYTES, MAX_REQUEST_BYTES } from "./wire.ts";

export type Topic = "blocks" | "txs" | "votes" | "collations" | "statements";
export type Verdict = "accept" | "ignore" | "reject";

export interface HostOptions {
  privateKey: PrivateKey;
  genesis: Hash;
  listen: string[];
  bootnodes: string[];
  /** Validates a gossip message synchronously (decode + cheap checks); "reject" scores its sender down. */
  onGossip(topic: Topic, data: Uint8Array, from: string): Verdict;
  /** Request–response handlers by protocol name: request bytes in, response bytes out. */
  handlers: Record<
    string,
    { maxRequest: number; handle(req: Uint8Array, from: string): Promise<Uint8Array> }
  >;
}

export interface Host {
  readonly peerId: string;
  readonly guard: PeerGuard;
  publish(topic: Topic, data: Uint8Array): void;
  request(
    peer: string,
    protocol: string,
    req: Uint8Array,
    maxResponse: number,
    timeoutMs: number,
  ): Promise<Uint8Array>;
  peers(): Array<{ peerId: string; address: string }>;
  addresses(): string[];
  /** Closes every connection to `peer` (it may be dialled again). */
  drop(peer: string): void;
  stop(): Promise<void>;
}

/** Reads a whole stream (until the remote closes its write side), refusing more than `max` bytes. */
async function readAll(stream: Stream, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const b = chunk instanceof Uint8Array ? chunk : chunk.subarray();
    n += b.byteLength;
    if (n > max) {
      stream.abort(new Error("message too large"));
      throw new NetError("Message too large", {
        code: "NET_REQUEST_FAILED",
        details: `more than ${max} bytes`,
      });
    }
    parts.push(b);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * @example
 * const host = await createHost({ privateKey, genesis, listen: ["/ip4/127.0.0.1/tcp/0"], bootnodes: [], onGossip, handlers });
 * host.publish("blocks", bytes);
 */
export async function createHost(opts: HostOptions): Promise<Host> {
  const tag = toHex(opts.genesis).slice(2, 18);
  const topicName = (t: Topic) => `/coreplay/${tag}/${t}/1`;
  const topics: Topic[] = ["blocks", "txs", "votes", "collations", "statements"];
  const byName = new Map(topics.map((t) => [topicName(t), t]));
  const guard = createPeerGuard();
  const bootnodes = opts.bootnodes.filter((b) => b.length > 0);
  const node = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      // a loopback network dials private addresses: allow them
      denyDialMultiaddr: () => false,
      denyDialPeer: (p: PeerId) => guard.banned(p.toString()),
      denyInboundEncryptedConnection: (p: PeerId) => guard.banned(p.toString()),
    },
    peerDiscovery: bootnodes.length > 0 ? [bootstrap({ list: bootnodes, timeout: 100 })] : [],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        maxInboundDataLength: MAX_BLOCK_BYTES + 1024,
        allowedTopics: [...byName.keys()],
        // a small network: every peer is in the mesh
        D: 4,
        Dlo: 1,
        Dhi: 8,
        heartbeatInterval: 500,
      }),
    },
  });
  const pubsub = node.services.pubsub;
  for (const [name, t] of byName) {
    pubsub.subscribe(name);
    pubsub.topicValidators.set(name, (peer, msg) => {
      const from = peer.toString();
      let v: Verdict;
      if (!guard.allow(from, t)) v = "ignore";
      else {
        try {
          v = opts.onGossip(t, msg.data, from);
        } catch {
          v = "reject";
        }
      }
      if (v === "reject") punish(from, `bad ${t} message`);
      return v === "accept"
        ? TopicValidatorResult.Accept
        : v === "ignore"
          ? TopicValidatorResult.Ignore
          : TopicValidatorResult.Reject;
    });
  }

  function punish(peer: string, why: string) {
    if (guard.penalise(peer, why)) void node.hangUp(peerIdFromString(peer)).catch(() => {});
  }

  for (const [protocol, h] of Object.entries(opts.handlers)) {
    await node.handle(
      `/coreplay/${tag}/${protocol}/1`,
      async (stream, conn) => {
        const from = conn.remotePeer.toString();
        try {
          if (!guard.allow(from, "requests")) {
            stream.abort(new Error("rate limited"));
            return;
          }
          const req = await readAll(stream, Math.min(h.maxRequest, MAX_REQUEST_BYTES));
          const res = await h.handle(req, from);
          stream.send(res);
          await stream.close();
        } catch {
          punish(from, `bad ${protocol} request`);
          stream.abort(new Error("bad request"));
        }
      },
      { maxInboundStreams: 16, runOnLimitedConnection: false },
    );
  }

  await node.start();
  // Bootstrap dials once; a peer that restarts (same id, same address) is dialled again here.
  const redial = setInterval(() => {
    for (const b of bootnodes) {
      const id = b.split("/p2p/")[1];
      if (!id || id === node.peerId.toString() || guard.banned(id)) continue;
      if (node.getConnections(peerIdFromString(id)).length > 0) continue;
      void node.dial(multiaddr(b), { signal: AbortSignal.timeout(2000) }).catch(() => {});
    }
  }, 1000);

  return {
    peerId: node.peerId.toString(),
    guard,
    publish(topic, data) {
      void pubsub.publish(topicName(topic), data).catch(() => {});
    },
    async request(peer, protocol, req, maxResponse, timeoutMs) {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const stream = await node.dialProtocol(peerIdFromString(peer), `/coreplay/${tag}/${protocol}/1`, {
          signal,
        });
        stream.send(req);
        await stream.close({ signal });
        return await readAll(stream, maxResponse);
      } catch (cause) {
        throw new NetError("Request failed", {
          code: "NET_REQUEST_FAILED",
          details: `${protocol} to ${peer}: ${(cause as Error).message}`,
          cause,
        });
      }
    },
    peers() {
      const out = new Map<string, string>();
      for (const c of node.getConnections()) {
        const id = c.remotePeer.toString();
        if (!out.has(id)) out.set(id, c.remoteAddr.toString());
      }
      return [...out].map(([peerId, address]) => ({ peerId, address }));
    },
    addresses: () => node.getMultiaddrs().map((m) => m.toString()),
    drop(peer) {
      void node.hangUp(peerIdFromString(peer)).catch(() => {});
    },
    async stop() {
      clearInterval(redial);
      await node.stop();
    },
  };
}
