/** A small in-memory NodeApi for testing the RPC layer on its own (the real one is src/node). */
import { toHex } from "../../src/codec/bytes.ts";
import { RPC_ERROR, RpcError } from "../../src/rpc/errors.ts";
import type { ActorJson, BlockJson, Hex, NodeApi, NodeEvent, ReceiptJson } from "../../src/rpc/types.ts";

const h32 = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}`;

export function createFakeApi(): NodeApi & { emit(e: NodeEvent): void } {
  const listeners = new Set<(e: NodeEvent) => void>();
  const blocks: BlockJson[] = [
    {
      number: 0,
      hash: h32(0xb0),
      parentHash: h32(0),
      stateRoot: h32(0x57),
      author: h32(0),
      timestamp: 0,
      povs: [],
      dropped: [],
      extrinsics: 0,
    },
  ];
  const actors = new Map<number, ActorJson>();
  const receipts = new Map<Hex, ReceiptJson>();
  let nextCall = 1;
  return {
    emit: (e) => {
      for (const l of listeners) l(e);
    },
    info: () => ({
      version: "test",
      cores: 2,
      collators: 1,
      validators: 1,
      blockTime: "manual",
      coreGas: "1000",
      dataDir: "",
    }),
    head: () => blocks[blocks.length - 1]!,
    stateProof: () => {
      throw new RpcError(RPC_ERROR.Internal, "The fake API keeps no state trie", { code: "NO_TRIE" });
    },
    block: (ref) => (typeof ref === "number" ? blocks[ref] : blocks.find((b) => b.hash === ref)),
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async uploadCode(blob) {
      if (blob[0] !== 0) throw new RpcError(RPC_ERROR.BadProgram, "Bad program", { code: "BAD_PROGRAM" });
      return { codeHash: h32(blob.length), name: "fake" };
    },
    async createActor(req) {
      const id = actors.size;
      actors.set(id, {
        id,
        name: "fake",
        codeHash: req.codeHash,
        stateHash: h32(1),
        sequence: "0",
        balance: (req.balance ?? 0n).toString(),
        owner: null,
        status: "pending",
        queuedCalls: 0,
        mailbox: 0,
      });
      return { actor: id, codeHash: req.codeHash };
    },
    listActors: () => [...actors.values()],
    actor: (id) => actors.get(id),
    async submitCall(actor, data) {
      const callId = h32(nextCall++);
      receipts.set(callId, {
        callId,
        actor,
        status: "canonicalised",
        ok: true,
        output: toHex(data),
        block: 1,
      });
      return { callId };
    },
    receipt: (id) => receipts.get(id),
    async submitTx(bytes) {
      if (bytes[0] === 0xff) {
        throw new RpcError(RPC_ERROR.Rejected, "Bad transaction signature", { code: "TX_BAD_SIGNATURE" });
      }
      return { hash: h32(bytes.length) };
    },
    txPrepare: () => ({ nonce: "0", baseFee: "1", feePerByte: "1" }),
    txStatus: (hash) => (hash === h32(1) ? { hash, status: "pending" } : undefined),
    async send() {
      return { block: blocks.length };
    },
    async waitReceipt(id, timeoutMs) {
      const r = receipts.get(id);
      if (r) return r;
      await new Promise((ok) => setTimeout(ok, Math.min(timeoutMs, 50)));
      throw new RpcError(RPC_ERROR.Timeout, "Timed out", { code: "TIMEOUT" });
    },
    async query(_actor, data) {
      return { ok: true, output: toHex(data) };
    },
    logs: (actor) => [{ actor, block: 1, line: "hello" }],
    async diskStore(data) {
      return { hash: h32(data.length) };
    },
    diskGet: () => undefined,
    diskStats: () => ({ items: 0, bytes: 0 }),
    pov: () => undefined,
    async validatePov(bytes) {
      return { valid: false, reason: `Malformed: ${bytes.length} bytes` };
    },
    async newBlocks(count) {
      for (let i = 0; i < count; i++) {
        const prev = blocks[blocks.length - 1]!;
        const b = {
          ...prev,
          number: prev.number + 1,
          parentHash: prev.hash,
          hash: h32(0xb0 + prev.number + 1),
        };
        blocks.push(b);
        for (const l of listeners) l({ event: "newBlock", block: b });
      }
      return blocks[blocks.length - 1]!;
    },
    async snapshot() {
      return { id: "1", block: blocks.length - 1 };
    },
    async revert(id) {
      if (id !== "1")
        throw new RpcError(RPC_ERROR.Rejected, "Unknown snapshot", { code: "UNKNOWN_SNAPSHOT" });
      return blocks[0]!;
    },
    async setBalance(_t, amount) {
      return { balance: amount.toString() };
    },
    accounts: () => [],
  };
}
