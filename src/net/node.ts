/**
 * A network node (DESIGN §11): one validator of a relay chain whose blocks other processes author too.
 * It wires the chain (src/chain, through the dev node of src/node for collators, the validator pool,
 * the tx pool and the RPC shapes) to the libp2p host: Aura authorship on its own slots, import of the
 * others' blocks by re-execution (PoVs re-validated, the chain's hash and the state root compared),
 * fork choice with reverts through the journaled storage, GRANDPA-style finality votes, and sync from
 * peers. The chain's LMDB survives SIGKILL: a block and its undo record commit in one transaction.
 */
import "./polyfill.ts";
import { join } from "node:path";
import type { BlockInput, BlockResult, ValidatedPov } from "../chain/index.ts";
import { createLmdbStorage } from "../chain/index.ts";
import { bytesEqual, fromHex, toHex } from "../codec/bytes.ts";
import type { ActorId, Hash } from "../codec/ids.ts";
import { decodeExact, encode, Pov, Vector } from "../codec/types.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { type CoreplayNode, createNode } from "../node/node.ts";
import { PovEffects, RelayView, Verdict } from "../pov/types.ts";
import type { Engine } from "../vm/engine.ts";
import { NetError } from "./errors.ts";
import { createHost, type Verdict as GossipVerdict, type Host } from "./host.ts";
import { loadOrCreateNodeKey } from "./identity.ts";
import { journaled } from "./journal.ts";
import { type ChainSpec, specHash, validatorKeys } from "./spec.ts";
import { authorOf, checkHeader, slotAt } from "./standin/aura.ts";
import { type BlockTree, createBlockTree, type TreeEntry } from "./standin/tree.ts";
import { createVoter, type Equivocation, PRECOMMIT, threshold, type Voter } from "./standin/voter.ts";
import { createNetStore } from "./store.ts";
import {
  bodyHash,
  decodeBounded,
  headerHash,
  type Justification,
  MAX_BLOCK_BYTES,
  MAX_REQUEST_BYTES,
  MAX_SYNC_BLOCKS,
  MAX_SYNC_RESPONSE_BYTES,
  MAX_VOTE_BYTES,
  type NetBlock,
  NetBlock as NetBlockCodec,
  type NetBody,
  type NetHeader,
  Status,
  SyncRequest,
  SyncResponse,
  sealMessage,
  type Vote,
  Vote as VoteCodec,
  voteMessage,
} from "./wire.ts";

export interface NetworkNodeOptions {
  spec: ChainSpec;
  /** The validator's key (its public key must be in the spec). */
  keypair: Keypair;
  dataDir: string;
  listen: string[];
  bootnodes: string[];
  name?: string;
  validatorWorkers?: number;
  signatureWorkers?: number;
  engine?: Engine;
  /** Tests: no block authorship (a node that only follows). */
  author?: boolean;
}

export interface NetBlockJson {
  number: number;
  hash: `0x${string}`;
  parentHash: `0x${string}`;
  stateRoot: `0x${string}`;
  chainHash: `0x${string}`;
  slot: string;
  author: number;
  authorKey: `0x${string}`;
  extrinsics: number;
  povs: number;
}

export interface NetStatusJson {
  name: string;
  role: "validator";
  peerId: string;
  genesis: `0x${string}`;
  validatorIndex: number;
  validators: number;
  threshold: number;
  slotMs: number;
  slot: string;
  head: { number: number; hash: `0x${string}`; stateRoot: `0x${string}` };
  finalized: { number: number; hash: `0x${string}`; onBestChain: boolean };
  round: string;
  peers: number;
  addresses: string[];
  syncing: boolean;
  authored: number;
  imported: number;
  refused: Record<string, number>;
  equivocations: Equivocation[];
  peerScores: ReturnType<Host["guard"]["report"]>;
}

export interface NetworkNode {
  readonly node: CoreplayNode;
  readonly host: Host;
  readonly genesis: Hash;
  readonly index: number;
  head(): NetBlockJson;
  finalized(): NetBlockJson;
  block(ref: number | `0x${string}`): NetBlockJson | undefined;
  status(): NetStatusJson;
  peers(): Array<{ peerId: string; address: string }>;
  stop(): Promise<void>;
}

const ZERO32 = new Uint8Array(32) as Hash;
const EMPTY_BODY: NetBody = { txs: [], povs: [] };
const STATUS_PROTOCOL = "status";
const SYNC_PROTOCOL = "sync";
const VOTES_PROTOCOL = "votes";
const entryOf = (h: NetHeader, hash: Hash): TreeEntry => ({
  hash,
  number: h.number,
  parent: h.parent,
  slot: h.slot,
  author: h.author,
});

/**
 * @example
 * const n = await createNetworkNode({ spec, keypair, dataDir: "/tmp/n0", listen: ["/ip4/127.0.0.1/tcp/0"], bootnodes: [] });
 * n.head().number;
 * await n.stop();
 */
export async function createNetworkNode(opts: NetworkNodeOptions): Promise<NetworkNode> {
  const { spec, keypair } = opts;
  const validators = validatorKeys(spec);
  const n = validators.length;
  const t = threshold(n);
  const index = validators.findIndex((v) => bytesEqual(v, keypair.publicKey));
  if (index < 0) {
    throw new NetError("The key is not a validator of this chain", {
      code: "NET_BAD_KEY",
      details: `${toHex(keypair.publicKey)} is not in the spec's validators`,
    });
  }
  const storage = journaled(createLmdbStorage({ path: join(opts.dataDir, "chain") }));
  let applied: { input: BlockInput; result: BlockResult } | undefined;
  const node = await createNode({
    dataDir: opts.dataDir,
    storage,
    blockTime: "manual",
    cores: spec.cores,
    collators: Math.max(1, spec.collators.length),
    validators: opts.validatorWorkers ?? 1,
    signatureWorkers: opts.signatureWorkers ?? 0,
    ...(spec.coreGas ? { coreGas: BigInt(spec.coreGas) } : {}),
    engine: opts.engine,
    author: keypair.publicKey,
    onApplied: (input, result) => {
      applied = { input, result };
    },
  });
  const { chain } = node;
  const store = createNetStore(storage);

  // Genesis: the spec's hash and the chain's genesis, so nodes with other specs never agree on a block.
  const genesisHeader: NetHeader = {
    number: 0,
    parent: specHash(spec),
    slot: 0n,
    author: 0,
    chainHash: chain.genesisHash,
    stateRoot: ZERO32,
    bodyHash: bodyHash(EMPTY_BODY),
  };
  const genesis = headerHash(genesisHeader);
  const genesisBlock: NetBlock = { header: genesisHeader, body: EMPTY_BODY, seal: new Uint8Array(64) };
  if (!store.block(genesis)) {
    store.putBlock(genesis, genesisBlock);
    store.setCanonical(chain.genesisHash, genesis);
  }

  // A crash between a block's commit and its net record leaves a head without one: undo it.
  while (chain.head().number > 0 && !store.netOf(chain.head().hash)) storage.revertHead();
  const tree: BlockTree = createBlockTree(entryOf(genesisHeader, genesis));
  for (let i = 1; i <= chain.head().number; i++) {
    const h = store.netOf(chain.block(i)!.hash)!;
    tree.add(entryOf(store.block(h)!.header, h));
  }
  let head = tree.get(store.netOf(chain.head().hash)!)!;
  let finalized = tree.get(genesis)!;
  const savedFinality = store.finality();
  if (savedFinality && tree.has(savedFinality.target)) finalized = tree.get(savedFinality.target)!;
  let justification = savedFinality;

  const voter: Voter = createVoter({ n, tree, startRound: (savedFinality?.round ?? 0n) + 1n });
  let roundStartedAt = 0;
  let lastRound = voter.round;
  const bad = new Set<string>();
  const refused: Record<string, number> = {};
  const refuse = (why: string) => {
    refused[why] = (refused[why] ?? 0) + 1;
  };
  let authored = 0;
  let imported = 0;
  let stopped = false;
  let lastAuthoredSlot = -1n;

  // One chain-changing step at a time: authorship, import, reverts.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  const nodeKey = await loadOrCreateNodeKey(opts.dataDir);
  const host = await createHost({
    privateKey: nodeKey,
    genesis,
    listen: opts.listen,
    bootnodes: opts.bootnodes,
    onGossip,
    handlers: {
      [STATUS_PROTOCOL]: { maxRequest: 0, handle: async () => encode(Status, statusMsg()) },
      [SYNC_PROTOCOL]: { maxRequest: MAX_REQUEST_BYTES, handle: async (req) => serveSync(req) },
      [VOTES_PROTOCOL]: {
        maxRequest: 0,
        handle: async () => encode(Vector(VoteCodec), voter.current().slice(0, 4 * n)),
      },
    },
  });

  function statusMsg(): Status {
    return {
      genesis,
      head: head.number,
      headHash: head.hash,
      finalized: finalized.number,
      finalizedHash: finalized.hash,
      round: voter.round,
    };
  }

  /** The hash of our best chain's block at `number`. */
  const canonicalAt = (number: number): Hash | undefined => {
    if (number > head.number) return undefined;
    const rec = chain.block(number);
    return rec ? store.netOf(rec.hash) : undefined;
  };

  function serveSync(req: Uint8Array): Uint8Array {
    const r = decodeBounded(SyncRequest, req, MAX_REQUEST_BYTES, "sync request");
    const blocks: NetBlock[] = [];
    let bytes = 0;
    const max = Math.min(r.max, MAX_SYNC_BLOCKS);
    for (let i = Math.max(1, r.from); i <= head.number && blocks.length < max; i++) {
      const h = canonicalAt(i);
      const raw = h && store.blockBytes(h);
      if (!raw) break;
      if (bytes + raw.byteLength > MAX_SYNC_RESPONSE_BYTES - 64 * 1024 && blocks.length > 0) break;
      bytes += raw.byteLength;
      blocks.push(decodeExact(NetBlockCodec, raw, "stored block"));
    }
    return encode(SyncResponse, { blocks, justification: justification });
  }

  // ---- gossip ----

  function onGossip(topic: "blocks" | "txs" | "votes", data: Uint8Array, from: string): GossipVerdict {
    if (topic === "votes") return onVote(decodeBounded(VoteCodec, data, MAX_VOTE_BYTES, "vote"));
    if (topic === "blocks") {
      const b = decodeBounded(NetBlockCodec, data, MAX_BLOCK_BYTES, "block");
      const hash = headerHash(b.header);
      if (tree.has(hash) || bad.has(toHex(hash))) return "ignore";
      const v = checkHeader(b, { genesis, validators, slotMs: spec.slotMs, nowMs: Date.now() });
      if (!v.ok) {
        refuse(v.error.fault);
        return "reject";
      }
      if (!bytesEqual(bodyHash(b.body), b.header.bodyHash)) {
        refuse("BAD_BODY_HASH");
        return "reject";
      }
      void serial(() => importBlock(b, hash, from)).catch(() => {});
      return "accept";
    }
    return "ignore"; // transactions: each node includes the ones it was sent (see README)
  }

  function onVote(v: Vote): GossipVerdict {
    if (v.voter >= n || v.stage > PRECOMMIT) {
      refuse("BAD_VOTE");
      return "reject";
    }
    if (!verify(v.signature, voteMessage(genesis, v), validators[v.voter]!)) {
      refuse("BAD_VOTE_SIGNATURE");
      return "reject";
    }
    const o = voter.onVote(v);
    if (o === "too-far") return "reject";
    if (o === "new") {
      queueMicrotask(voteStep);
      return "accept";
    }
    return "ignore";
  }

  // ---- import ----

  type ImportOutcome = "imported" | "stored" | "known" | "bad" | "orphan";

  async function importBlock(b: NetBlock, hash: Hash, from?: string): Promise<ImportOutcome> {
    if (stopped) return "known";
    if (tree.has(hash)) return "known";
    if (bad.has(toHex(hash))) return "bad";
    const parent = tree.get(b.header.parent);
    if (!parent) {
      if (from) void syncFrom(from);
      return "orphan";
    }
    const v = checkHeader(b, { genesis, validators, slotMs: spec.slotMs, nowMs: Date.now(), parent });
    if (!v.ok || !bytesEqual(bodyHash(b.body), b.header.bodyHash)) {
      refuse(v.ok ? "BAD_BODY_HASH" : v.error.fault);
      bad.add(toHex(hash));
      return "bad";
    }
    if (parent.number < finalized.number || !tree.isAncestor(finalized.hash, parent.hash)) {
      // a block off our final chain: stale, not invalid (its sender may simply be behind)
      refuse("BELOW_FINALITY");
      return "known";
    }
    if (bytesEqual(parent.hash, head.hash)) {
      if (!(await execute(b, hash, true))) return "bad";
      tree.add(entryOf(b.header, hash));
      head = tree.get(hash)!;
      imported++;
      afterHeadMoved();
      return "imported";
    }
    store.putBlock(hash, b);
    tree.add(entryOf(b.header, hash));
    await forkChoice();
    return tree.has(hash) ? "stored" : "bad";
  }

  /** Re-executes `b` on the head (its parent): PoVs re-validated, then the chain's block compared. */
  async function execute(b: NetBlock, hash: Hash, storeBody = false): Promise<boolean> {
    const povs: ValidatedPov[] = [];
    try {
      for (const p of b.body.povs) {
        const effects = decodeExact(PovEffects, p.effects, "PoV effects");
        const actors = decodeExact(Pov, p.pov, "PoV").slabs.map((s) => s.actor as ActorId);
        const view = chain.relayView(actors);
        const codes: Array<[Uint8Array, Uint8Array]> = [];
        for (const a of view.actors) {
          const blob = chain.code(a.codeHash);
          if (blob) codes.push([a.codeHash, blob]);
        }
        const backing = await node.pool.validate({ pov: p.pov, view: encode(RelayView, view), codes });
        const expected = encode(Verdict, { tag: "Valid", value: effects });
        if (!backing.backed || !backing.verdict || !bytesEqual(backing.verdict, expected)) {
          refuse("POV_VERDICT_MISMATCH");
          bad.add(toHex(hash));
          return false;
        }
        povs.push({ core: p.core, pov: p.pov, effects, collator: p.collator });
      }
    } catch {
      refuse("MALFORMED_BODY");
      bad.add(toHex(hash));
      return false;
    }
    const author = validators[b.header.author]!;
    let result: BlockResult;
    try {
      ({ result } = await node.importBlock({ txs: b.body.txs, povs, author }));
    } catch {
      refuse("EXECUTION_FAILED");
      bad.add(toHex(hash));
      return false;
    }
    const same =
      bytesEqual(result.hash, b.header.chainHash) &&
      bytesEqual(result.header.stateRoot, b.header.stateRoot) &&
      result.txs.every((x) => x.result.ok) &&
      result.povs.every((x) => x.result.ok);
    if (!same) {
      storage.revertHead();
      node.chainReverted();
      refuse("STATE_MISMATCH");
      bad.add(toHex(hash));
      return false;
    }
    // the body (when not stored yet) and the chain → net mapping in one transaction
    store.setCanonical(result.hash, hash, storeBody ? b : undefined);
    return true;
  }

  /** Fork choice: the longest chain containing the last final block (DESIGN §11); reorgs to it. */
  async function forkChoice(): Promise<void> {
    for (let tries = 0; tries < 8; tries++) {
      const best = tree.leaves(finalized.hash)[0];
      if (!best || best.number <= head.number || bytesEqual(best.hash, head.hash)) {
        // our head may be off the final chain (finality moved under us): go back to it
        if (tree.isAncestor(finalized.hash, head.hash) || !best) return;
      }
      if (!(await reorgTo(best))) continue;
      return;
    }
  }

  async function reorgTo(target: TreeEntry): Promise<boolean> {
    let a: TreeEntry | undefined = head;
    let b: TreeEntry | undefined = target;
    while (a && b && a.number > b.number) a = tree.get(a.parent);
    while (a && b && b.number > a.number) b = tree.get(b.parent);
    while (a && b && !bytesEqual(a.hash, b.hash)) {
      a = tree.get(a.parent);
      b = tree.get(b.parent);
    }
    if (!a || a.number < finalized.number) return false;
    const path: TreeEntry[] = [];
    for (let e: TreeEntry | undefined = target; e && e.number > a.number; e = tree.get(e.parent))
      path.unshift(e);
    const blocks = path.map((e) => store.block(e.hash));
    if (blocks.some((x) => x === undefined)) return false;
    // the transactions of the blocks given up go back to the pool (those the new branch has are
    // then refused as stale; the others are included again)
    const dropped: Uint8Array[] = [];
    while (head.number > a.number) {
      dropped.push(...(store.block(head.hash)?.body.txs ?? []));
      storage.revertHead();
      head = tree.get(head.parent)!;
    }
    node.chainReverted();
    const requeue = () => {
      for (const tx of dropped) node.submitSigned(tx).catch(() => {});
    };
    for (const [i, e] of path.entries()) {
      if (!(await execute(blocks[i]!, e.hash))) {
        tree.remove(e.hash);
        requeue();
        afterHeadMoved();
        return false;
      }
      head = e;
      imported++;
    }
    requeue();
    afterHeadMoved();
    return true;
  }

  function afterHeadMoved() {
    queueMicrotask(voteStep);
  }

  // ---- authorship ----

  async function authorBlock(slot: bigint): Promise<void> {
    const parent = head;
    applied = undefined;
    await node.produceBlock();
    const a = applied as { input: BlockInput; result: BlockResult } | undefined;
    if (!a) return;
    const { input, result } = a;
    const body: NetBody = {
      txs: input.txs.filter((_, i) => result.txs[i]!.result.ok),
      povs: (input.povs ?? [])
        .filter((_, i) => result.povs[i]!.result.ok)
        .map((p) => ({
          core: p.core,
          pov: p.pov,
          effects: encode(PovEffects, p.effects),
          collator: p.collator,
        })),
    };
    const header: NetHeader = {
      number: result.number,
      parent: parent.hash,
      slot,
      author: index,
      chainHash: result.hash,
      stateRoot: result.header.stateRoot,
      bodyHash: bodyHash(body),
    };
    const block: NetBlock = { header, body, seal: sign(sealMessage(genesis, header), keypair.secretKey) };
    const hash = headerHash(header);
    store.setCanonical(result.hash, hash, block);
    tree.add(entryOf(header, hash));
    head = tree.get(hash)!;
    authored++;
    host.publish("blocks", encode(NetBlockCodec, block));
    afterHeadMoved();
  }

  function slotTick() {
    if (stopped || opts.author === false) return;
    const slot = slotAt(Date.now(), spec.slotMs);
    if (slot <= lastAuthoredSlot || authorOf(slot, n) !== index || head.slot >= slot) return;
    // only author on a chain that is not far behind the network (a syncing node waits, and a node
    // that has not asked its peers yet waits for their answer)
    if (!polled || bestPeerHead() > head.number + 2) return;
    lastAuthoredSlot = slot;
    void serial(() => authorBlock(slot)).catch((e) =>
      process.emitWarning(`authoring slot ${slot} failed: ${(e as Error).message}`),
    );
  }

  // ---- finality ----

  function voteStep() {
    // a node far behind its peers votes once it caught up (its votes would be for old blocks)
    if (stopped || (syncing && bestPeerHead() > head.number + 2)) return;
    const mayStart = Date.now() - roundStartedAt >= spec.slotMs;
    const { cast, finalised } = voter.step(head, finalized, mayStart);
    for (const c of cast) {
      const unsigned = { round: c.round, stage: c.stage, target: c.target, number: c.number, voter: index };
      const v: Vote = { ...unsigned, signature: sign(voteMessage(genesis, unsigned), keypair.secretKey) };
      voter.onVote(v);
      host.publish("votes", encode(VoteCodec, v));
    }
    if (finalised) {
      setFinalized({
        round: finalised.round,
        target: finalised.hash,
        number: finalised.number,
        precommits: finalised.precommits,
      });
    }
    if (voter.round !== lastRound) {
      lastRound = voter.round;
      roundStartedAt = Date.now();
    }
    if (cast.length > 0 || finalised) queueMicrotask(voteStep);
  }

  function setFinalized(j: Justification) {
    const e = tree.get(j.target);
    // "finalised blocks are never reverted": only a descendant of the last final block can be final
    if (!e || e.number <= finalized.number || !tree.isAncestor(finalized.hash, e.hash)) return;
    finalized = e;
    justification = j;
    store.putFinality(j);
    storage.prune(Math.min(e.number, head.number) - 1);
    if (e.number % 64 === 0) tree.prune(e.hash, e.number);
    if (!tree.isAncestor(e.hash, head.hash)) void serial(forkChoice).catch(() => {});
  }

  /** Checks a justification's precommits (signatures, distinct voters, at or above its target). */
  function checkJustification(j: Justification): boolean {
    if (!tree.has(j.target)) return false;
    const voters = new Set<number>();
    for (const v of j.precommits) {
      if (v.stage !== PRECOMMIT || v.round !== j.round || v.voter >= n) return false;
      if (!tree.isAncestor(j.target, v.target)) return false;
      if (!verify(v.signature, voteMessage(genesis, v), validators[v.voter]!)) return false;
      voters.add(v.voter);
    }
    return voters.size >= t;
  }

  // ---- sync ----

  const peerStatus = new Map<string, Status>();
  let polled = false;
  let syncing = false;
  let pendingJustification: Justification | undefined;
  const bestPeerHead = () => Math.max(0, ...[...peerStatus.values()].map((s) => s.head));

  async function pollPeers() {
    const peers = host.peers();
    if (peers.length === 0 && opts.bootnodes.length === 0) polled = true;
    await Promise.all(peers.map((p) => pollPeer(p.peerId)));
  }

  async function pollPeer(peer: string) {
    try {
      const raw = await host.request(peer, STATUS_PROTOCOL, new Uint8Array(0), 256, 2000);
      const s = decodeBounded(Status, raw, 256, "status");
      if (!bytesEqual(s.genesis, genesis)) {
        host.guard.penalise(peer, "another chain", 50);
        return;
      }
      peerStatus.set(peer, s);
      polled = true;
      if (s.head > head.number || (s.finalized > finalized.number && !tree.has(s.finalizedHash))) {
        void syncFrom(peer);
      }
      // votes the peer has for its previous and current rounds (catch-up after a restart or a partition)
      const rawVotes = await host.request(peer, VOTES_PROTOCOL, new Uint8Array(0), 16 * 1024, 2000);
      const votes = decodeBounded(Vector(VoteCodec), rawVotes, 16 * 1024, "votes");
      for (const v of votes.slice(0, 4 * n)) {
        try {
          if (onVote(v) === "reject") host.guard.penalise(peer, "bad vote");
        } catch {
          host.guard.penalise(peer, "bad vote");
        }
      }
    } catch {
      // a peer that does not answer may sit behind a dead connection (a partition): drop it, so the
      // next dial makes a fresh one
      peerStatus.delete(peer);
      host.drop(peer);
    }
  }

  async function syncFrom(peer: string): Promise<void> {
    if (syncing || stopped) return;
    syncing = true;
    try {
      let from = head.number + 1;
      for (let rounds = 0; rounds < 10_000 && !stopped; rounds++) {
        const req = encode(SyncRequest, { from, max: MAX_SYNC_BLOCKS });
        const raw = await host.request(peer, SYNC_PROTOCOL, req, MAX_SYNC_RESPONSE_BYTES, 10_000);
        const res = decodeBounded(SyncResponse, raw, MAX_SYNC_RESPONSE_BYTES, "sync response");
        if (res.blocks.length === 0) break;
        let orphan = false;
        let progressed = false;
        for (const b of res.blocks) {
          const o = await serial(() => importBlock(b, headerHash(b.header)));
          if (o === "orphan") {
            orphan = true;
            break;
          }
          if (o === "bad") {
            host.guard.penalise(peer, "served a bad block");
            return;
          }
          progressed = true;
        }
        // the peer's finality proof, checked once we hold its target
        if (res.justification) pendingJustification = res.justification;
        if (pendingJustification && checkJustification(pendingJustification)) {
          setFinalized(pendingJustification);
          pendingJustification = undefined;
        }
        if (orphan) {
          // the peer is on another fork: fetch from our last final block, where the chains meet
          if (from <= finalized.number + 1) return;
          from = finalized.number + 1;
          continue;
        }
        // until the peer has nothing more (a chain that grows meanwhile is followed to its head)
        if (!progressed) break;
        from = res.blocks[res.blocks.length - 1]!.header.number + 1;
      }
    } catch {
      // the peer went away or timed out: the next poll tries again
    } finally {
      syncing = false;
    }
  }

  const timers = [
    setInterval(slotTick, Math.max(10, Math.floor(spec.slotMs / 10))),
    setInterval(voteStep, Math.max(20, Math.floor(spec.slotMs / 4))),
    setInterval(() => void pollPeers(), 1000),
  ];

  const json = (e: TreeEntry): NetBlockJson => {
    const b = store.block(e.hash)!;
    return {
      number: e.number,
      hash: toHex(e.hash),
      parentHash: toHex(b.header.parent),
      stateRoot: toHex(b.header.stateRoot),
      chainHash: toHex(b.header.chainHash),
      slot: String(e.slot),
      author: e.author,
      authorKey: toHex(validators[e.author]!),
      extrinsics: b.body.txs.length,
      povs: b.body.povs.length,
    };
  };

  return {
    node,
    host,
    genesis,
    index,
    head: () => json(head),
    finalized: () => json(finalized),
    block(ref) {
      if (typeof ref === "number") {
        const h = canonicalAt(ref);
        const e = h && tree.get(h);
        return e ? json(e) : undefined;
      }
      const e = tree.get(fromHex(ref) as Hash);
      return e ? json(e) : undefined;
    },
    status: () => ({
      name: opts.name ?? `validator-${index}`,
      role: "validator",
      peerId: host.peerId,
      genesis: toHex(genesis),
      validatorIndex: index,
      validators: n,
      threshold: t,
      slotMs: spec.slotMs,
      slot: String(slotAt(Date.now(), spec.slotMs)),
      head: { number: head.number, hash: toHex(head.hash), stateRoot: json(head).stateRoot },
      finalized: {
        number: finalized.number,
        hash: toHex(finalized.hash),
        onBestChain: tree.isAncestor(finalized.hash, head.hash),
      },
      round: String(voter.round),
      peers: host.peers().length,
      addresses: host.addresses(),
      syncing,
      authored,
      imported,
      refused: { ...refused },
      equivocations: [...voter.evidence],
      peerScores: host.guard.report(),
    }),
    peers: () => host.peers(),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      await queue;
      await host.stop();
      await node.stop();
    },
  };
}
