/**
 * `createChain`: the relay-chain state machine (DESIGN §4, §7, §8) over a {@link Storage}. Pure and
 * deterministic: no clock, no randomness; the node owns time and I/O.
 */

import { bytesEqual, concatBytes, toHex } from "../codec/bytes.ts";
import { type AccountId, type ActorId, accountId, type CodeHash, type Hash } from "../codec/ids.ts";
import type { Witness } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { createDisk, slabs } from "../disk/index.ts";
import { ok } from "../errors.ts";
import type { RelayView } from "../pov/types.ts";
import { appliedOf, applyTx, applyTxParts } from "./apply-tx.ts";
import {
  actorsWithWork,
  canonicalOf,
  checkCanonical,
  collatorKeys,
  collatorList,
  noteMisses,
  registerGenesisCollators,
} from "./collators.ts";
import { chainConfig } from "./config.ts";
import { reports } from "./disputes.ts";
import { ChainError } from "./errors.ts";
import { getAccount, getActor, getMeta, putAccount, putMeta } from "./ledger.ts";
import { peek } from "./pigeonhole.ts";
import { admit, cascade, type PovSlabs } from "./pool.ts";
import { roomOf } from "./room.ts";
import { BlockHeader, T } from "./state.ts";
import { commitState, stateValue } from "./state-root.ts";
import { createOverlay, type KvRead, type OverlayControl, overlayOf } from "./storage.ts";
import { proveKey } from "./trie/proof.ts";
import { hasTrie } from "./trie/store.ts";
import type { BlockResult, Chain, ChainOptions, PoolView } from "./types.ts";

const ZERO32 = new Uint8Array(32);
const rootOf = (hashes: Uint8Array[]): Hash => blake2b256(concatBytes(...hashes));
const isAccount = (id: AccountId | ActorId): id is AccountId => id instanceof Uint8Array;

/**
 * Opens the chain in `storage`, writing block 0 from `config.genesis` if the storage is empty.
 *
 * @example
 * const chain = createChain({ storage: createMemoryStorage(), engine, config: { genesis: { accounts } } });
 * const result = chain.applyBlock({ txs, povs, author });
 */
export function createChain(opts: ChainOptions): Chain {
  const config = chainConfig(opts.config);
  const { storage, engine } = opts;
  const disk = createDisk(config);
  if (!Number.isInteger(config.cores) || config.cores < 1 || config.cores > 0xffff) {
    throw new ChainError("Invalid chain config", {
      code: "CHAIN_BAD_CONFIG",
      details: `cores = ${config.cores}`,
    });
  }

  if (!T.meta.get(storage, null)) {
    storage.transaction((tx) => {
      // One buffer, as a block: its writes are the genesis state the first root commits to.
      const writes = overlayOf(tx) ?? createOverlay(tx);
      const kv = writes.kv;
      let issuance = 0n;
      registerGenesisCollators(kv, config.genesis.collators ?? []);
      for (const { account, balance } of config.genesis.accounts) {
        const a = getAccount(kv, account);
        T.account.put(kv, account, { ...a, free: a.free + balance });
        issuance += balance;
      }
      const meta = {
        head: 0,
        headHash: ZERO32 as Hash,
        genesisHash: ZERO32 as Hash,
        nextActor: 0,
        issuance,
        burned: 0n,
        poolSeq: 0n,
      };
      putMeta(kv, meta);
      const header: BlockHeader = {
        number: 0,
        parent: ZERO32 as Hash,
        author: ZERO32 as AccountId,
        slot: 0n,
        txsRoot: rootOf([]),
        povsRoot: rootOf([]),
        stateRoot: commitState(kv, writes.changes(), meta),
      };
      const hash = blake2b256(BlockHeader.enc(header), genesisSeal(config.genesis.accounts));
      T.block.put(kv, 0, {
        header,
        hash,
        txs: [],
        admitted: [],
        canonicalised: [],
        expired: [],
        seal: new Uint8Array(),
      });
      T.blockByHash.put(kv, hash, 0);
      putMeta(kv, { ...meta, headHash: hash, genesisHash: hash });
      if (writes !== overlayOf(tx)) writes.commit();
    });
  } else if (!hasTrie(storage)) {
    throw new ChainError("The chain data predates state roots", {
      code: "CHAIN_OLD_FORMAT",
      details: "its blocks have no state root and its state no trie",
      hint: "start from an empty data directory (delete it, or pass another --data-dir)",
    });
  }
  const genesisHash = getMeta(storage).genesisHash;

  // The head's record lists every transaction hash of its block (thousands): decode it once per head,
  // not at every `head()`. Keyed by number and hash, so a storage reverted under us is still read.
  let lastHead: { number: number; hash: Hash; header: BlockHeader } | undefined;
  const headOf = (kv: KvRead) => {
    const m = getMeta(kv);
    if (lastHead && lastHead.number === m.head && bytesEqual(lastHead.hash, m.headHash)) {
      return { ...lastHead };
    }
    const rec = T.block.get(kv, m.head);
    if (!rec)
      throw new ChainError("Head block missing", { code: "CHAIN_CORRUPT", details: `block ${m.head}` });
    lastHead = { number: m.head, hash: rec.hash, header: rec.header };
    return { ...lastHead };
  };

  /**
   * The first `max` entries of an actor's call queue, each read with `read`. The queue is exactly the
   * entries [first, first + len) (a Call tx appends at the end, a receipt removes the head): point
   * reads, rather than a scan of every actor's queued calls.
   */
  function queued<V>(
    id: ActorId,
    max = Number.POSITIVE_INFINITY,
    read: (key: [ActorId, bigint]) => V | undefined,
  ): V[] {
    const out: V[] = [];
    const q = getActor(storage, id)?.calls;
    if (!q) return out;
    const n = Math.min(q.len, max);
    let at = q.first;
    for (let i = 0; i < n; i++, at++) {
      const v = read([id, at]);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  const chain: Chain = {
    config,
    genesisHash,

    applyBlock(input) {
      accountId(input.author); // a malformed author is the node's bug: throw before touching state
      return storage.transaction((tx) => {
        // The block's writes, in one buffer: each transaction and PoV is a savepoint of it (undone
        // whole when refused) rather than an overlay of its own committed into it.
        const own = overlayOf(tx) === undefined ? createOverlay(tx) : undefined;
        const writes = own ?? (overlayOf(tx) as OverlayControl);
        const kv = writes.kv;
        const meta = getMeta(kv);
        const number = meta.head + 1;
        const ctx = { kv, config, engine, disk, block: number, decoded: new Map<string, PovSlabs>() };
        const result: BlockResult = {
          number,
          hash: ZERO32 as Hash,
          header: undefined as unknown as BlockHeader,
          txs: [],
          povs: [],
          canonicalised: [],
          expired: [],
          logs: [],
          upgrades: [],
        };
        // issue 15: with collators registered, who had work at the parent (for the misses below)
        const drawn = collatorKeys(kv).length > 0;
        const hadWork = drawn ? actorsWithWork(kv) : [];
        const included: Hash[] = [];
        const txCtx = { ...ctx, deferBurn: true as const };
        let fees = 0n;
        for (let i = 0; i < input.txs.length; i++) {
          const bytes = input.txs[i] as Uint8Array;
          const sp = writes.savepoint();
          const r = applyTxParts(txCtx, bytes, input.decoded?.[i]);
          if (r.ok) {
            writes.release(sp);
            fees += r.value.fee;
            included.push(r.value.hash);
            result.txs.push({ hash: r.value.hash, result: ok(appliedOf(r.value)) });
          } else {
            writes.rollback(sp);
            result.txs.push({ hash: blake2b256(bytes), result: r });
          }
        }
        // DESIGN §8 / issue 13 §4: fees pay the block's author; nothing is burned (issuance constant)
        if (fees > 0n) {
          const a = getAccount(kv, input.author);
          putAccount(kv, input.author, { ...a, free: a.free + fees });
        }
        const seen = { cores: new Set<number>(), actors: new Set<number>(), ids: new Set<string>() };
        const admitted: Hash[] = [];
        for (const v of input.povs ?? []) {
          const canon = drawn
            ? checkCanonical(
                kv,
                meta.headHash,
                v.collator,
                v.effects.transitions.map((t) => t.actor),
              )
            : ok(null);
          const r = canon.ok ? admit(ctx, seen, v) : canon;
          if (r.ok) admitted.push(r.value);
          result.povs.push({
            id: r.ok ? r.value : blake2b256(v.pov),
            core: v.core,
            result: r.ok ? ok(null) : r,
          });
        }
        if (drawn) {
          const covered = new Set<number>();
          for (const [, e] of T.pool.scan(kv)) for (const t of e.effects.transitions) covered.add(t.actor);
          noteMisses(kv, meta.headHash, hadWork, covered);
        }
        cascade(ctx, result);

        const header: BlockHeader = {
          number,
          parent: meta.headHash,
          author: input.author,
          slot: input.slot ?? BigInt(number),
          txsRoot: rootOf(included),
          povsRoot: rootOf(admitted),
          // Before the block record and the new head are written: those are history, not state.
          stateRoot: commitState(kv, writes.changes(), getMeta(kv)),
        };
        const hash = blake2b256(BlockHeader.enc(header));
        if (input.expect !== undefined && !bytesEqual(input.expect, hash)) {
          // An imported block that re-executes to another header: nothing of it is kept.
          throw new ChainError("The block re-executes to another header", {
            code: "CHAIN_BLOCK_MISMATCH",
            details: `expected ${toHex(input.expect)}, got ${toHex(hash)} (state root ${toHex(header.stateRoot)})`,
            hint: "the block's author and this node disagree on the state: refuse the block",
          });
        }
        T.block.put(kv, number, {
          header,
          hash,
          txs: included,
          admitted,
          canonicalised: result.canonicalised.map((c) => c.id),
          expired: result.expired.map((x) => x.id),
          seal:
            input.seal === undefined
              ? new Uint8Array()
              : typeof input.seal === "function"
                ? input.seal(hash, header)
                : input.seal,
        });
        T.blockByHash.put(kv, hash, number);
        putMeta(kv, { ...getMeta(kv), head: number, headHash: hash });
        result.hash = hash;
        result.header = header;
        own?.commit();
        return result;
      });
    },

    checkTx(bytes) {
      const o = createOverlay(storage);
      return applyTx({ kv: o.kv, config, engine, disk, block: getMeta(storage).head + 1 }, bytes);
    },

    head: () => headOf(storage),
    block(at) {
      const n = typeof at === "number" ? at : T.blockByHash.get(storage, at);
      return n === undefined ? undefined : T.block.get(storage, n);
    },
    account: (id) => getAccount(storage, id),
    balanceOf: (id) =>
      isAccount(id) ? getAccount(storage, id).free : (getActor(storage, id)?.balance ?? 0n),
    nonceOf: (id) => getAccount(storage, id).nonce,
    actor: (id) => getActor(storage, id),
    actorIds() {
      const out: ActorId[] = [];
      for (const [k] of storage.scan(new Uint8Array([T.actor.prefix]))) {
        out.push(new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0) as ActorId);
      }
      return out;
    },
    code: (hash) => T.codeBlob.get(storage, hash),
    codeInfo: (hash) => T.codeInfo.get(storage, hash),
    codeSource: { code: (hash: CodeHash) => T.codeBlob.get(storage, hash) },
    slab: (id) => slabs.get(storage, id),
    slabView: (id) => T.slabViews.get(storage, id),
    pendingCalls: (id, max) => queued(id, max, (k) => T.call.get(storage, k)),
    pigeonhole(id) {
      const a = getActor(storage, id);
      if (!a) return undefined;
      return {
        head: a.pigeonhole.head,
        tail: a.pigeonhole.tail,
        messages: peek(storage, id, a),
        capacity: config.pigeonholeCapacity,
      };
    },
    pendingInputs: (id, max) => queued(id, max, (k) => T.callInputs.get(storage, k)),
    receipt: (id) => T.receipt.get(storage, id),
    upgrade: (id) => T.upgrade.get(storage, id),
    preimage: (hash) => disk.lookup(storage, hash),
    preimageInfo: (hash) => disk.info(storage, hash),
    requests: (id) => disk.requests(storage, id),
    pool() {
      const out: PoolView[] = [];
      for (const [, e] of T.pool.scan(storage)) {
        out.push({
          id: e.id,
          core: e.core,
          collator: e.collator,
          admittedAt: e.admittedAt,
          slabs: e.effects.transitions.map((t) => ({
            actor: t.actor as ActorId,
            sequence: t.sequence,
            preHash: t.preHash,
            postHash: t.postHash,
          })),
        });
      }
      return out;
    },
    relayView(actors, o = {}): RelayView {
      const head = headOf(storage);
      return {
        relayParent: head.hash,
        now: o.now ?? head.number + 1,
        coreGas: config.coreGas,
        callGas: config.callGas,
        actors: actors.flatMap((id) => {
          const a = getActor(storage, id);
          return a
            ? [
                {
                  actor: id,
                  codeHash: a.codeHash,
                  sequence: a.sequence,
                  stateHash: a.stateHash,
                  balance: a.balance,
                },
              ]
            : [];
        }),
        nextActor: getMeta(storage).nextActor,
        room: roomOf(storage, config, [...actors, ...(o.recipients ?? [])]),
      };
    },
    witness(actors, o = {}): Witness {
      const head = headOf(storage);
      const messages: Witness["messages"] = [];
      const preimages: Uint8Array[] = [];
      const seenPre = new Set<string>();
      for (const id of actors) {
        const a = getActor(storage, id);
        if (!a) continue;
        messages.push({ actor: id, headBefore: a.pigeonhole.head, messages: peek(storage, id, a) });
        for (const h of disk.requests(storage, id)) {
          const k = Buffer.from(h).toString("hex");
          const bytes = disk.lookup(storage, h);
          if (bytes && !seenPre.has(k)) {
            seenPre.add(k);
            preimages.push(bytes);
          }
        }
      }
      return {
        relayParent: head.hash,
        now: o.now ?? head.number + 1,
        coreGas: config.coreGas,
        messages,
        preimages,
      };
    },
    collators: () => collatorList(storage),
    canonicalCollator: (actor) => canonicalOf(storage, actor, headOf(storage).hash),
    reports: () => reports(storage),
    supply() {
      const m = getMeta(storage);
      return { issuance: m.issuance, burned: m.burned };
    },
    stateProof(storageKey) {
      const head = headOf(storage);
      return {
        number: head.number,
        hash: head.hash,
        stateRoot: head.header.stateRoot,
        value: stateValue(storage, storageKey, () => getMeta(storage)),
        proof: proveKey(storage, storageKey),
      };
    },
  };
  return chain;
}

/** Binds the genesis hash to the endowed accounts, so two dev chains with other genesis differ. */
function genesisSeal(accounts: { account: AccountId; balance: bigint }[]): Uint8Array {
  return concatBytes(
    ...accounts.map((a) => concatBytes(a.account, new TextEncoder().encode(a.balance.toString()))),
  );
}
