/**
 * The node's {@link NodeApi}: what the RPC server serves (docs/rpc.md). Converts between the chain's
 * typed values and the JSON shapes, and turns expected failures into typed RPC errors.
 */
import { encodeProof, type TxError } from "../chain/index.ts";
import { fromHex, toHex } from "../codec/bytes.ts";
import { type AccountId, type ActorId, type CodeHash, type Hash, hash32 } from "../codec/ids.ts";
import { CallOutput, decodeExact, Pov, Witness } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { buildPov } from "../pov/build.ts";
import { describeReason } from "../pov/errors.ts";
import { RelayView, Verdict } from "../pov/types.ts";
import { RPC_ERROR, RpcError, unknownActor } from "../rpc/errors.ts";
import type { ActorJson, BlockJson, Hex, NodeApi, ReceiptJson, TxStatusJson } from "../rpc/types.ts";
import { accountJson, devAccounts } from "./accounts.ts";
import { type CoreplayNode, DEFAULT_ENDOWMENT } from "./node.ts";

const VERSION = "0.1.0";

/** Decodes a `Call` item's recorded output (SCALE `Result<Vec<u8>, CallError>`). */
export function decodeCallOutput(bytes: Uint8Array): { ok: boolean; output: Hex; error?: string } {
  const r = decodeExact(CallOutput, bytes, "call output");
  if (r.success) return { ok: true, output: toHex(r.value) };
  const e = r.value;
  return { ok: false, output: e.tag === "Actor" ? toHex(e.value) : "0x", error: e.tag };
}

const TX_STATUSES = 10_000;

const txRejected = (e: TxError): RpcError =>
  new RpcError(RPC_ERROR.Rejected, e.shortMessage, { code: e.code, details: e.details, hint: e.hint });

/**
 * @example
 * const server = await createRpcServer({ port, methods: createMethods(createNodeApi(node)) });
 */
export function createNodeApi(node: CoreplayNode): NodeApi {
  const { chain } = node;
  const dev = devAccounts();

  const actorJson = (id: number): ActorJson | undefined => {
    const a = chain.actor(id as ActorId);
    if (!a) return undefined;
    let name = "";
    let status: ActorJson["status"] = "pending";
    try {
      const p = node.collators.program(a.codeHash);
      name = p?.metadata.name ?? "";
      status = node.collators.status(id as ActorId) ?? "pending";
    } catch {
      // an image that does not decode is reported with what is known
    }
    return {
      id,
      name,
      codeHash: toHex(a.codeHash),
      stateHash: toHex(a.stateHash),
      sequence: a.sequence.toString(),
      balance: a.balance.toString(),
      owner: toHex(a.owner),
      status,
      queuedCalls: a.calls.len,
      mailbox: chain.pigeonhole(id as ActorId)?.messages.length ?? 0,
    };
  };

  const blockJson = (n: number): BlockJson | undefined => {
    const s = node.blockSummary(n);
    if (s) return s;
    const b = chain.block(n);
    if (!b) return undefined;
    return {
      number: b.header.number,
      hash: toHex(b.hash),
      parentHash: toHex(b.header.parent),
      stateRoot: toHex(b.header.stateRoot),
      author: toHex(b.header.author),
      timestamp: 0,
      povs: [],
      dropped: [],
      extrinsics: b.txs.length,
    };
  };

  const receiptJson = (callId: Hex): ReceiptJson | undefined => {
    const r = chain.receipt(hash32(fromHex(callId)));
    if (!r) return undefined;
    return { callId, actor: r.actor, status: "canonicalised", block: r.block, ...decodeCallOutput(r.output) };
  };

  // Transactions submitted with tx_v1_submit: the latest TX_STATUSES, oldest forgotten first.
  const statuses = new Map<Hex, TxStatusJson>();
  const track = (s: TxStatusJson) => {
    statuses.delete(s.hash);
    statuses.set(s.hash, s);
    if (statuses.size > TX_STATUSES) statuses.delete(statuses.keys().next().value as Hex);
  };

  const submit = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if ((e as TxError).name === "TxError") throw txRejected(e as TxError);
      throw e;
    }
  };

  return {
    stateProof(k) {
      const p = chain.stateProof(k);
      const end = p.proof.end;
      return {
        block: p.number,
        hash: toHex(p.hash),
        stateRoot: toHex(p.stateRoot),
        key: toHex(k),
        value: p.value === undefined ? null : toHex(p.value),
        proof: {
          siblings: p.proof.siblings.map(toHex),
          end:
            end.tag === "Empty"
              ? end
              : { tag: "Leaf", keyHash: toHex(end.keyHash), valueHash: toHex(end.valueHash) },
        },
        encoded: toHex(encodeProof(p.proof)),
      };
    },
    info: () => ({
      version: VERSION,
      cores: node.options.cores,
      collators: node.options.collators,
      validators: node.options.validators,
      blockTime: node.options.blockTime,
      coreGas: node.options.coreGas.toString(),
      dataDir: node.options.dataDir ?? "",
    }),
    head: () => blockJson(chain.head().number)!,
    block(ref) {
      if (typeof ref === "number") return blockJson(ref);
      const b = chain.block(hash32(fromHex(ref)));
      return b ? blockJson(b.header.number) : undefined;
    },
    subscribe: (l) =>
      node.subscribe((e) => {
        // The node reports touched actors by id; the API sends their whole state.
        if (e.event === "state") {
          const a = actorJson(e.actor as unknown as number);
          if (a) l({ event: "state", actor: a });
        } else l(e);
      }),

    async uploadCode(blob) {
      let program: ReturnType<CoreplayNode["engine"]["load"]>;
      try {
        program = node.engine.load(blob);
      } catch (e) {
        const c = e as RpcError;
        throw new RpcError(RPC_ERROR.BadProgram, c.shortMessage ?? "Bad program", {
          code: c.code ?? "BAD_PROGRAM",
          details: c.details ?? c.message,
          hint: c.hint ?? "build the actor with `coreplay build`",
        });
      }
      const name = program.metadata.name;
      if (!chain.code(program.codeHash)) {
        await submit(node.submit({ tag: "Upload", value: { blob } }));
      }
      return { codeHash: toHex(program.codeHash), name };
    },
    async createActor(req) {
      const codeHash = hash32(fromHex(req.codeHash)) as unknown as CodeHash;
      if (!chain.code(codeHash)) {
        throw new RpcError(RPC_ERROR.UnknownCode, "Unknown code", {
          code: "UNKNOWN_CODE",
          details: `no program ${req.codeHash}`,
          hint: "upload it first with code_v1_upload (coreplay deploy does both)",
        });
      }
      const r = await submit(
        node.submit({
          tag: "Create",
          value: { codeHash, args: req.args, endowment: req.balance ?? DEFAULT_ENDOWMENT },
        }),
      );
      return { actor: r.actor as number, codeHash: req.codeHash };
    },
    listActors: () => chain.actorIds().map((id) => actorJson(id)!),
    actor: actorJson,
    async submitCall(actor, data) {
      const r = await submit(node.submit({ tag: "Call", value: { actor: actor as ActorId, input: data } }));
      return { callId: toHex(r.hash) };
    },
    async send(actor, data) {
      await submit(node.submit({ tag: "Post", value: { actor: actor as ActorId, data } }));
      return { block: chain.head().number };
    },
    submitTx(bytes) {
      return new Promise((ok, fail) => {
        let hash: Hex | undefined;
        node
          .submitSigned(bytes, (h) => {
            hash = toHex(h);
            track({ hash, status: "pending" });
            ok({ hash });
          })
          .then(
            (r) => track({ hash: toHex(r.hash), status: "included", block: r.block }),
            (e: TxError) => {
              if (hash === undefined) {
                fail(e.name === "TxError" ? txRejected(e) : e);
                return;
              }
              track({
                hash,
                status: "refused",
                block: chain.head().number,
                error: {
                  code: e.code,
                  message: e.shortMessage,
                  ...(e.details !== undefined ? { details: e.details } : {}),
                },
              });
            },
          );
      });
    },
    txStatus: (hash) => statuses.get(hash),
    txPrepare: (account) => ({
      nonce: node.nextNonce(hash32(fromHex(account)) as unknown as AccountId).toString(),
      baseFee: chain.config.baseFee.toString(),
      feePerByte: chain.config.feePerByte.toString(),
    }),
    receipt(callId) {
      const r = receiptJson(callId);
      if (r) return r;
      return undefined;
    },
    async waitReceipt(callId, timeoutMs) {
      try {
        await node.waitReceipt(hash32(fromHex(callId)), timeoutMs);
      } catch {
        throw new RpcError(RPC_ERROR.Timeout, "Timed out waiting for the call", {
          code: "TIMEOUT",
          details: `call ${callId} not canonicalised within ${timeoutMs} ms`,
          hint: "the call stays queued: ask again with actor_v1_receipt",
        });
      }
      return receiptJson(callId)!;
    },
    async query(actor, data) {
      const a = chain.actor(actor as ActorId);
      const pre = chain.slab(actor as ActorId);
      if (!a || !pre) throw unknownActor(actor);
      const now = chain.head().number + 1;
      const view = chain.relayView([actor as ActorId], { now });
      try {
        const built = buildPov({
          view,
          slabs: [{ actor: actor as ActorId, pre }],
          agenda: [
            { actor: actor as ActorId, entry: { tag: "Call", value: { input: data } } },
            { actor: actor as ActorId, entry: { tag: "Service", value: { times: 1 } } },
          ],
          engine: node.engine,
          codes: chain.codeSource,
        });
        return decodeCallOutput(built.effects.calls[0]!.output);
      } catch (e) {
        throw new RpcError(RPC_ERROR.Rejected, "Query failed", {
          code: "QUERY_FAILED",
          details: (e as Error).message,
        });
      }
    },
    logs: (actor, o) => node.db.logs(actor, o.fromBlock ?? 0, o.limit ?? 1000),

    async diskStore(data) {
      await submit(node.submit({ tag: "Store", value: { data } }));
      // A preimage is keyed by blake2b-256 of its bytes (DESIGN §7).
      return { hash: toHex(blake2b256(data)) };
    },
    diskGet: (h) => chain.preimage(hash32(fromHex(h))),
    diskStats() {
      let items = 0;
      let bytes = 0;
      for (const [, v] of node.storage.scan(new Uint8Array([0x08]))) {
        items++;
        // PreimageInfo = { refs: u32, size: u32 }
        bytes += new DataView(v.buffer, v.byteOffset + 4, 4).getUint32(0, true);
      }
      return { items, bytes };
    },

    pov: (h) => node.db.pov(h)?.bytes,
    async validatePov(bytes) {
      const id = toHex(node.hashPov(bytes));
      let view = node.db.view(id);
      let codesFor: readonly Uint8Array[] = [];
      if (!view) {
        // Not a PoV this node built: validate against the view of the actors it names at the head.
        let actors: ActorId[] = [];
        let now = chain.head().number + 1;
        try {
          const p = decodeExact(Pov, bytes, "PoV");
          actors = p.slabs.map((s) => s.actor).filter((a) => chain.actor(a) !== undefined);
          now = decodeExact(Witness, p.witness, "witness").now;
        } catch {
          // malformed: any view gives the Malformed verdict
        }
        view = RelayView.enc(chain.relayView(actors, { now }));
      }
      const v = decodeExact(RelayView, view, "relay view");
      codesFor = v.actors.map((a) => a.codeHash);
      const codes = codesFor
        .map((h) => [h, chain.code(h as CodeHash)] as const)
        .filter((c): c is readonly [Uint8Array, Uint8Array] => c[1] !== undefined);
      const b = await node.pool.validate({ pov: bytes, view, codes });
      if (!b.backed) return { valid: false, reason: `not backed: ${b.faults.join("; ")}` };
      const verdict = decodeExact(Verdict, b.verdict!, "verdict");
      return verdict.tag === "Valid"
        ? { valid: true, reason: "" }
        : { valid: false, reason: describeReason(verdict.value) };
    },

    async newBlocks(count) {
      let last: BlockJson | undefined;
      for (let i = 0; i < count; i++) last = await node.produceBlock();
      return last!;
    },
    async snapshot() {
      return node.snapshot();
    },
    async revert(id) {
      await node.revert(id);
      return blockJson(chain.head().number)!;
    },
    async setBalance(target, amount) {
      const current =
        "actor" in target
          ? chain.balanceOf(target.actor as ActorId)
          : chain.account(hash32(fromHex(target.account)) as never).free;
      if (amount < current) {
        throw new RpcError(RPC_ERROR.Rejected, "Balances can only be raised", {
          code: "BALANCE_DECREASE",
          details: `current ${current}, asked ${amount}`,
          hint: "the dev chain funds from dev account 0; it cannot burn",
        });
      }
      if (amount > current) {
        const diff = amount - current;
        await submit(
          node.submit(
            "actor" in target
              ? { tag: "Fund", value: { actor: target.actor as ActorId, amount: diff } }
              : { tag: "Transfer", value: { to: hash32(fromHex(target.account)) as never, amount: diff } },
          ),
        );
      }
      const now =
        "actor" in target
          ? chain.balanceOf(target.actor as ActorId)
          : chain.account(hash32(fromHex(target.account)) as never).free;
      return { balance: now.toString() };
    },
    accounts: () => dev.map((k, i) => accountJson(i, k, chain.account(k.publicKey).free)),
  };
}

export type { Hash };
