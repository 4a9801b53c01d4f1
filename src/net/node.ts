/**
 * A network node (DESIGN §11): one validator of a relay chain whose blocks other processes author too.
 * It wires the chain (src/chain, through the dev node of src/node for collators, the validator pool,
 * the tx pool and the RPC shapes) to the libp2p host and to src/consensus: Aura authorship on its own
 * slots (authorship.ts), import of the others' blocks by re-execution and fork choice with reverts
 * (import.ts), GRANDPA finality (finality.ts) and sync from peers (sync.ts). The chain's LMDB survives
 * SIGKILL: a block and its undo record commit in one transaction.
 */
import "./polyfill.ts";
import { join } from "node:path";
import type { BlockHeader } from "../chain/index.ts";
import { createLmdbStorage } from "../chain/index.ts";
import { reasonText } from "../chain/statement.ts";
import { bytesEqual, concatBytes, fromHex, toHex } from "../codec/bytes.ts";
import type { Hash } from "../codec/ids.ts";
import { encode } from "../codec/types.ts";
import { checkHeader, slotAt } from "../consensus/aura.ts";
import { createBlockTree } from "../consensus/block-tree.ts";
import { headerHash } from "../consensus/header.ts";
import { threshold } from "../consensus/votes.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { Keypair } from "../crypto/ed25519.ts";
import { type CoreplayNode, createNode } from "../node/node.ts";
import type { Engine } from "../vm/engine.ts";
import { createAuthorship } from "./authorship.ts";
import { encodePovAnswer, POV_REQUEST_BYTES } from "./backing/availability.ts";
import { povActors } from "./backing/judge.ts";
import { createBackingService, POV_PROTOCOL } from "./backing/service.ts";
import { povId } from "./collator/collation.ts";
import { createCollatorService } from "./collator/service.ts";
import { authorIndex, createBlockTiming, hex, type NetContext } from "./context.ts";
import { NetError } from "./errors.ts";
import { createFinality, type EquivocationJson, storedCommit } from "./finality.ts";
import { createHost, type Verdict as GossipVerdict, type Host, type Topic } from "./host.ts";
import { loadOrCreateNodeKey } from "./identity.ts";
import { createImporter, reasonKey } from "./import.ts";
import { journaled } from "./journal.ts";
import { type ChainSpec, collatorKeys, specHash, validatorKeys } from "./spec.ts";
import { createNetStore } from "./store.ts";
import { createSync, STATUS_PROTOCOL, SYNC_PROTOCOL, VOTES_PROTOCOL } from "./sync.ts";
import { createTxGossip, type TxGossip } from "./tx-gossip.ts";
import {
  decodeBounded,
  MAX_BLOCK_BYTES,
  MAX_REQUEST_BYTES,
  NetBlock as NetBlockCodec,
  Status,
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
  /** `collator`: a collator process (issue 15): follows the chain, builds and sends PoVs, never authors or votes. */
  role?: "validator" | "collator";
  /** Tests only: a collator that forges every PoV it sends (never backed; its misbehaviour is reported). */
  testCorruptPovs?: boolean;
}

export interface NetBlockJson {
  number: number;
  hash: `0x${string}`;
  parentHash: `0x${string}`;
  stateRoot: `0x${string}`;
  /** The relay chain's block hash: the same as `hash` (one header type), kept for older clients. */
  chainHash: `0x${string}`;
  slot: string;
  author: number;
  authorKey: `0x${string}`;
  extrinsics: number;
  /** The PoVs the block admitted: who built each (the collator's key) and who backed it (validators' keys). */
  povs: Array<{
    hash: `0x${string}`;
    core: number;
    collator: `0x${string}`;
    backers: Array<`0x${string}`>;
    actors: number[];
  }>;
}

export interface NetStatusJson {
  name: string;
  role: "validator" | "collator";
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
  /** Issue 15: what the backing service (validators) or the collator service (collators) did. */
  backing: Record<string, number>;
  equivocations: EquivocationJson[];
  /** Transaction gossip: received from peers (duplicates among them), announced, refused; the pool's size. */
  txs: { received: number; duplicates: number; announced: number; refused: number; pool: number };
  /** Median ms to author and to import a recent block (per transaction: blocks of ≥ 50). */
  timing: ReturnType<NetContext["timing"]["report"]>;
  /** The chain-changing step running (authoring, import, fork choice) and for how long. */
  busy?: { what: string; forMs: number };
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
  /** Disputes and collator misbehaviour recorded on chain (`net_v1_disputes`). */
  disputes(): DisputeJson[];
  stop(): Promise<void>;
}

export interface DisputeJson {
  kind: "Dispute" | "Misbehaviour";
  pov: `0x${string}`;
  core: number;
  collator: `0x${string}`;
  block: number;
  reporter: `0x${string}`;
  valid: Array<`0x${string}`>;
  invalid: Array<`0x${string}`>;
  reason: string;
  slashed: string;
}

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
  const role = opts.role ?? "validator";
  const index = authorIndex(validators, keypair.publicKey);
  if (role === "collator" && !collatorKeys(spec).some((c) => bytesEqual(c, keypair.publicKey))) {
    throw new NetError("The key is not a collator of this chain", {
      code: "NET_BAD_KEY",
      details: `${toHex(keypair.publicKey)} is not in the spec's collators`,
    });
  }
  if (role === "validator" && index < 0) {
    throw new NetError("The key is not a validator of this chain", {
      code: "NET_BAD_KEY",
      details: `${toHex(keypair.publicKey)} is not in the spec's validators`,
    });
  }
  const storage = journaled(createLmdbStorage({ path: join(opts.dataDir, "chain") }));
  let authorship: ReturnType<typeof createAuthorship> | undefined;
  let txGossip: TxGossip | undefined;
  const node = await createNode({
    dataDir: opts.dataDir,
    storage,
    blockTime: "manual",
    cores: spec.cores,
    collators: Math.max(1, spec.collators.length),
    validators: opts.validatorWorkers ?? 1,
    signatureWorkers: opts.signatureWorkers ?? 0,
    // issue 15: the validators' statements count as evidence; the spec's collators are the first ones
    chain: {
      validators,
      ...(spec.collators.length > 0 ? { genesis: { accounts: [], collators: collatorKeys(spec) } } : {}),
    },
    ...(spec.coreGas ? { coreGas: BigInt(spec.coreGas) } : {}),
    engine: opts.engine,
    author: keypair.publicKey,
    sealKey: keypair,
    onApplied: (input, result) => authorship?.applied(input, result),
    onSignedAdmitted: (bytes, hash) => txGossip?.announce(bytes, hash),
  });
  const { chain } = node;
  const store = createNetStore(storage);
  // The network's id binds the spec, so nodes with other specs never talk on one topic.
  const networkId = blake2b256(concatBytes(specHash(spec), chain.genesisHash));

  // A crash between a block's commit and its record leaves a head without one: undo it.
  while (chain.head().number > 0 && !store.blockBytes(chain.head().hash)) storage.revertHead();
  const tree = createBlockTree({ hash: chain.genesisHash, number: 0 });
  const headers = new Map<string, BlockHeader>();
  headers.set(hex(chain.genesisHash), chain.block(0)!.header);
  for (let i = 1; i <= chain.head().number; i++) {
    const rec = chain.block(i)!;
    tree.add({ hash: rec.hash, parent: rec.header.parent, number: i });
    headers.set(hex(rec.hash), rec.header);
  }
  const saved = storedCommit(store.finality());
  if (saved && tree.has(saved.target.hash)) tree.finalize(saved.target.hash);
  for (const d of tree.prune()) headers.delete(hex(d.hash));

  let queue: Promise<unknown> = Promise.resolve();
  const refused: Record<string, number> = {};
  const ctx: NetContext = {
    spec,
    validators,
    index: role === "collator" ? -1 : index,
    keypair,
    bootnodes: opts.bootnodes,
    networkId,
    node,
    chain,
    storage,
    store,
    tree,
    host: undefined as unknown as Host,
    head: { hash: chain.head().hash, number: chain.head().number },
    stopped: false,
    syncing: false,
    polled: false,
    peerStatus: new Map(),
    counts: { authored: 0, imported: 0 },
    timing: createBlockTiming(),
    bad: new Set(),
    refused,
    refuse(why) {
      refused[why] = (refused[why] ?? 0) + 1;
    },
    headerOf: (h) => headers.get(hex(h)),
    noteHeader: (h, header) => void headers.set(hex(h), header),
    forgetHeader: (h) => void headers.delete(hex(h)),
    busy: undefined,
    serial<T>(what: string, fn: () => Promise<T>): Promise<T> {
      const step = async () => {
        ctx.busy = { what, since: Date.now() };
        try {
          return await fn();
        } finally {
          ctx.busy = undefined;
        }
      };
      const run = queue.then(step, step);
      queue = run.catch(() => {});
      return run;
    },
    bestPeerHead: () => Math.max(0, ...[...ctx.peerStatus.values()].map((s) => s.head)),
    onHeadMoved: () =>
      queueMicrotask(() => {
        finality.recheck();
        ctx.backing?.headMoved();
        collator?.headMoved();
      }),
  };
  if (spec.collators.length > 0) ctx.backing = createBackingService(ctx);
  const collator =
    role === "collator" ? createCollatorService(ctx, { corrupt: opts.testCorruptPovs }) : undefined;

  // the transactions of blocks given up in a reorg go back to this node's pool
  const requeue = (txs: Uint8Array[]) => {
    for (const tx of txs) node.submitSigned(tx).catch(() => {});
  };
  const importer = createImporter(ctx, requeue);
  const finality = createFinality(ctx, (final) => {
    // final blocks are never reverted: their undo records go (only once this node executed the final
    // block: until then its head may be on a branch it must leave), the tree forgets what conflicts
    if (tree.isDescendant(ctx.head.hash, final.hash)) storage.prune(final.number - 1);
    ctx.backing?.finalized(final.number);
    if (final.number % 64 === 0) for (const d of tree.prune()) headers.delete(hex(d.hash));
    if (!tree.isDescendant(ctx.head.hash, final.hash))
      void ctx.serial("fork choice", importer.forkChoice).catch(() => {});
  });
  authorship = createAuthorship(ctx, opts.author !== false && role === "validator");
  const sync = createSync(ctx, importer, finality);
  txGossip = createTxGossip(ctx);
  const txs = txGossip;

  function onGossip(topic: Topic, data: Uint8Array, from: string): GossipVerdict {
    if (topic === "votes") return finality.onVoteBytes(data);
    if (topic === "collations") return ctx.backing ? ctx.backing.onCollation(data) : "ignore";
    if (topic === "statements") return ctx.backing ? ctx.backing.onStatement(data) : "ignore";
    if (topic === "blocks") {
      const b = decodeBounded(NetBlockCodec, data, MAX_BLOCK_BYTES, "block");
      const hash = headerHash(b.header);
      if (tree.has(hash) || ctx.bad.has(hex(hash))) return "ignore";
      const v = checkHeader(b, { validators, slotMs: spec.slotMs, nowMs: Date.now() });
      if (!v.ok) {
        ctx.refuse(reasonKey(v.error.reason));
        return "reject";
      }
      void ctx
        .serial("import", () => importer.importBlock(b, hash))
        .then((o) => {
          if (o === "orphan") void sync.syncFrom(from);
        })
        .catch(() => {});
      return "accept";
    }
    return txs.onGossip(data, from);
  }

  const nodeKey = await loadOrCreateNodeKey(opts.dataDir);
  ctx.host = await createHost({
    privateKey: nodeKey,
    genesis: networkId,
    listen: opts.listen,
    bootnodes: opts.bootnodes,
    onGossip,
    handlers: {
      [STATUS_PROTOCOL]: { maxRequest: 0, handle: async () => encode(Status, sync.statusMsg()) },
      [SYNC_PROTOCOL]: { maxRequest: MAX_REQUEST_BYTES, handle: async (req) => sync.serve(req) },
      [VOTES_PROTOCOL]: { maxRequest: 0, handle: async () => sync.serveVotes() },
      [POV_PROTOCOL]: {
        maxRequest: POV_REQUEST_BYTES,
        handle: async (req) => ctx.backing?.serve(req) ?? encodePovAnswer(undefined),
      },
    },
  });
  const host = ctx.host;

  const timers = [
    setInterval(() => authorship?.tick(), Math.max(10, Math.floor(spec.slotMs / 10))),
    setInterval(() => finality.tick(), Math.max(20, Math.floor(spec.slotMs / 4))),
    setInterval(() => void sync.pollPeers(), 1000),
    // a collator that was busy when the head moved builds for the new head now
    setInterval(() => collator?.headMoved(), Math.max(20, Math.floor(spec.slotMs / 5))),
  ];

  // ---- RPC shapes ----
  const counts = new Map<string, { txs: number; povs: NetBlockJson["povs"] }>();
  const bodyCounts = (hash: Hash) => {
    const k = hex(hash);
    let c = counts.get(k);
    if (!c) {
      const b = store.block(hash);
      c = {
        txs: b?.body.txs.length ?? 0,
        povs: (b?.body.povs ?? []).map((p) => ({
          hash: toHex(povId(p.pov)),
          core: p.core,
          collator: toHex(p.collator),
          backers: p.statements.map((s) => toHex(s.validator)),
          actors: (povActors(p.pov) ?? []).map(Number).sort((x, y) => x - y),
        })),
      };
      if (counts.size > 4096) counts.clear();
      counts.set(k, c);
    }
    return c;
  };
  const json = (hash: Hash, header: BlockHeader): NetBlockJson => {
    const c = bodyCounts(hash);
    const a = authorIndex(validators, header.author);
    return {
      number: header.number,
      hash: toHex(hash),
      parentHash: toHex(header.parent),
      stateRoot: toHex(header.stateRoot),
      chainHash: toHex(hash),
      slot: String(header.slot),
      author: a,
      authorKey: toHex(header.author),
      extrinsics: c.txs,
      povs: c.povs,
    };
  };
  /** A block of this node's best chain by number, or any block it knows by hash. */
  const lookup = (ref: number | Hash): NetBlockJson | undefined => {
    if (typeof ref === "number") {
      if (ref > ctx.head.number) return undefined;
      const rec = chain.block(ref);
      return rec ? json(rec.hash, rec.header) : undefined;
    }
    const h = headers.get(hex(ref));
    if (h) return json(ref, h);
    const b = store.block(ref);
    return b ? json(ref, b.header) : undefined;
  };

  return {
    node,
    host,
    genesis: networkId,
    index,
    head: () => lookup(ctx.head.number)!,
    finalized: () => lookup(tree.finalized().hash)!,
    block: (ref) => lookup(typeof ref === "number" ? ref : (fromHex(ref) as Hash)),
    status: () => {
      const fin = tree.finalized();
      const head = lookup(ctx.head.number)!;
      return {
        name: opts.name ?? (role === "collator" ? "collator" : `validator-${index}`),
        role,
        peerId: host.peerId,
        genesis: toHex(networkId),
        validatorIndex: index,
        validators: n,
        threshold: threshold(n),
        slotMs: spec.slotMs,
        slot: String(slotAt(Date.now(), spec.slotMs)),
        head: { number: ctx.head.number, hash: toHex(ctx.head.hash), stateRoot: head.stateRoot },
        finalized: {
          number: fin.number,
          hash: toHex(fin.hash),
          onBestChain: tree.isDescendant(ctx.head.hash, fin.hash) || bytesEqual(ctx.head.hash, fin.hash),
        },
        round: String(finality.round()),
        peers: host.peers().length,
        addresses: host.addresses(),
        syncing: ctx.syncing,
        authored: ctx.counts.authored,
        imported: ctx.counts.imported,
        refused: { ...refused },
        backing: { ...(ctx.backing?.counts() ?? {}), ...(collator ? collator.counts() : {}) },
        equivocations: finality.equivocations(),
        txs: { ...txs.stats, pool: node.pendingTxs() },
        timing: ctx.timing.report(),
        ...(ctx.busy ? { busy: { what: ctx.busy.what, forMs: Date.now() - ctx.busy.since } } : {}),
        peerScores: host.guard.report(),
      };
    },
    peers: () => host.peers(),
    disputes: () =>
      chain.reports().map((r) => ({
        kind: r.kind.tag,
        pov: toHex(r.pov),
        core: r.core,
        collator: toHex(r.collator),
        block: r.block,
        reporter: toHex(r.reporter),
        valid: r.valid.map(toHex),
        invalid: r.invalid.map(toHex),
        reason: reasonText(r.verdict),
        slashed: r.slashed.toString(),
      })),
    async stop() {
      if (ctx.stopped) return;
      ctx.stopped = true;
      for (const t of timers) clearInterval(t);
      txs.stop();
      await queue;
      await host.stop();
      await node.stop();
    },
  };
}
