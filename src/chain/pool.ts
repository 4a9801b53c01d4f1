/**
 * The PoV pool and canonicalisation (DESIGN §4): admission of validated PoVs, the cascade after every
 * block, the two expiry rules, and the atomic application of a PoV's effects.
 */

import { bytesEqual } from "../codec/bytes.ts";
import { type Fast, fastOf, Refusal, reader, skipWith } from "../codec/fast.ts";
import type { AccountId, ActorId, Hash } from "../codec/ids.ts";
import { AgendaItem, CodecError, decodeExact, type Pov, Slab, Vector, VecU8 } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { Disk } from "../disk/index.ts";
import { slabs } from "../disk/index.ts";
import { err, ok, type Result } from "../errors.ts";
import { MAX_MESSAGE_SIZE } from "../pov/limits.ts";
import type { Engine } from "../vm/engine.ts";
import type { ChainConfig } from "./config.ts";
import { EffectsRejected, type ExpiryReason, PovRejected } from "./errors.ts";
import { copyActor, getAccount, getActor, getMeta, putAccount, putActor, putMeta } from "./ledger.ts";
import { dequeue, enqueue, nextHead, peek } from "./pigeonhole.ts";
import { queuedCallIdIf } from "./record-codec.ts";
import { type ActorInfo, type PoolEntry, PoolEntry as PoolEntryCodec, T } from "./state.ts";
import { atomically, type KvWrite, keyString } from "./storage.ts";
import type { BlockResult, ValidatedPov } from "./types.ts";
import { applyUpgrades } from "./upgrade.ts";

export interface PoolContext {
  kv: KvWrite;
  config: ChainConfig;
  engine: Engine;
  disk: Disk;
  block: number;
  /**
   * PoVs decoded (strictly) by `admit` in this block, by id: the cascade usually canonicalises them in
   * the same block and need not decode them again. The id is the hash of the very bytes decoded.
   */
  decoded?: Map<string, PovSlabs>;
}

/** What the chain reads of a PoV: its slabs (the agenda and witness are the validators'). */
export type PovSlabs = Pick<Pov, "slabs">;

const AGENDA = fastOf(Vector(AgendaItem)) as Fast<Pov["agenda"]>;
const SLABS = fastOf(Vector(Slab)) as Fast<Pov["slabs"]>;
const WITNESS = fastOf(VecU8) as Fast<Uint8Array>;

/**
 * `decodeExact(Pov, bytes, "PoV").slabs`, refusing exactly the same bytes, without building the agenda
 * (thousands of calls) and witness the chain never reads: they are stepped over (`skipWith`).
 * With `views`, byte fields are views into `bytes`.
 */
export function decodePovSlabs(bytes: Uint8Array, views = false): PovSlabs {
  const r = reader(bytes, views);
  try {
    skipWith(AGENDA, r);
    const slabs = SLABS.dec(r);
    skipWith(WITNESS, r);
    if (r.i !== r.b.length) throw new Refusal(`${r.b.length - r.i} trailing bytes`);
    return { slabs };
  } catch (cause) {
    const details = cause instanceof Refusal ? cause.reason : (cause as Error).message;
    throw new CodecError("Malformed PoV", { details, cause: cause instanceof Refusal ? undefined : cause });
  }
}

/** Per-block admission state: cores and actors already taken by this block's PoVs. */
export interface AdmissionState {
  cores: Set<number>;
  actors: Set<number>;
  ids: Set<string>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * Admits one validated PoV into the pool, or says why not. Rule "each actor on at most one core per
 * block" (DESIGN §4) and the stateful half of validity rule 3 are checked here.
 */
export function admit(ctx: PoolContext, seen: AdmissionState, v: ValidatedPov): Result<Hash, PovRejected> {
  const id = blake2b256(v.pov);
  const { kv, config } = ctx;
  if (seen.ids.has(hex(id)) || T.poolById.get(kv, id) !== undefined) {
    return err(new PovRejected("POV_DUPLICATE", "PoV already submitted", hex(id)));
  }
  if (!Number.isInteger(v.core) || v.core < 0 || v.core >= config.cores) {
    return err(new PovRejected("POV_BAD_CORE", "No such core", `core ${v.core} of ${config.cores}`));
  }
  if (seen.cores.has(v.core)) {
    return err(new PovRejected("POV_CORE_TAKEN", "Core already has a PoV in this block", `core ${v.core}`));
  }
  const ts = v.effects.transitions;
  if (ts.length === 0) return err(new PovRejected("POV_NO_SLABS", "PoV has no slabs"));
  const mine = new Set<number>();
  for (const t of ts) {
    if (mine.has(t.actor))
      return err(new PovRejected("POV_DUPLICATE_SLAB", "Two slabs for one actor", `actor ${t.actor}`));
    mine.add(t.actor);
    if (seen.actors.has(t.actor)) {
      return err(
        new PovRejected(
          "POV_ACTOR_ON_TWO_CORES",
          "Actor already on another core in this block",
          `actor ${t.actor}`,
        ),
      );
    }
    const a = getActor(kv, t.actor);
    if (!a) return err(new PovRejected("POV_UNKNOWN_ACTOR", "Unknown actor", `actor ${t.actor}`));
    if (t.sequence <= a.sequence) {
      return err(
        new PovRejected(
          "POV_STALE_SEQUENCE",
          "Slab sequence not above the actor's",
          `actor ${t.actor}: ${t.sequence} <= ${a.sequence}`,
        ),
      );
    }
    if (t.sequence - a.sequence > BigInt(config.maxPipeline)) {
      return err(
        new PovRejected(
          "POV_TOO_FAR_AHEAD",
          "Slab sequence too far ahead of the actor's",
          `actor ${t.actor}: ${t.sequence} > ${a.sequence} + ${config.maxPipeline}`,
        ),
      );
    }
  }
  let pov: PovSlabs;
  try {
    // Views into the submitted bytes, not copies (slab images are large): the decoded PoV lives only
    // while this block is applied, and nothing writes to it.
    pov = decodePovSlabs(v.pov, true);
  } catch (e) {
    return err(new PovRejected("POV_MALFORMED", "Malformed PoV", (e as Error).message));
  }
  const slabsMatch =
    pov.slabs.length === ts.length &&
    pov.slabs.every((s, i) => s.actor === ts[i].actor && s.sequence === ts[i].sequence);
  if (!slabsMatch)
    return err(new PovRejected("POV_MALFORMED", "PoV slabs do not match its effects' transitions"));
  seen.ids.add(hex(id));
  ctx.decoded?.set(hex(id), pov);
  seen.cores.add(v.core);
  for (const a of mine) seen.actors.add(a);
  const meta = getMeta(kv);
  T.pool.put(kv, meta.poolSeq, {
    id,
    core: v.core,
    collator: v.collator,
    admittedAt: ctx.block,
    effects: v.effects,
  });
  T.poolPov.put(kv, meta.poolSeq, v.pov);
  T.poolById.put(kv, id, meta.poolSeq);
  putMeta(kv, { ...meta, poolSeq: meta.poolSeq + 1n });
  return ok(id);
}

type Status = { kind: "ready" } | { kind: "wait" } | { kind: "expire"; reason: ExpiryReason };

/** DESIGN §4: the canonicalisation conditions and the two expiry rules, for one pooled PoV. */
export function status(ctx: PoolContext, e: PoolEntry): Status {
  let ready = true;
  for (const t of e.effects.transitions) {
    const a = getActor(ctx.kv, t.actor);
    if (!a)
      return {
        kind: "expire",
        reason: { kind: "EffectsRejected", code: "UNKNOWN_ACTOR", details: `actor ${t.actor}` },
      };
    // expiry 1: the actor reached (or passed) this slab's sequence through another PoV
    if (a.sequence >= t.sequence) return { kind: "expire", reason: { kind: "Superseded", actor: t.actor } };
    const next = a.sequence + 1n === t.sequence;
    const preOk = bytesEqual(a.stateHash, t.preHash);
    // expiry 2: the predecessor is canonical but this slab starts from another state
    if (next && !preOk) return { kind: "expire", reason: { kind: "PreHashMismatch", actor: t.actor } };
    if (!next) ready = false;
  }
  if (ready) return { kind: "ready" };
  // bounded waiting: a PoV whose predecessor never comes does not stay forever
  if (ctx.block - e.admittedAt > ctx.config.poolTtl) {
    return { kind: "expire", reason: { kind: "TimedOut", admittedAt: e.admittedAt } };
  }
  return { kind: "wait" };
}

/**
 * After every block: canonicalise every pooled PoV whose conditions hold, repeatedly (a canonicalised
 * n+1 may make n+2 ready), and drop those that expired. Order: admission order, so a competing PoV
 * admitted first wins. Deterministic.
 */
export function cascade(
  ctx: PoolContext,
  out: Pick<BlockResult, "canonicalised" | "expired" | "logs" | "upgrades">,
): void {
  // each pooled entry is decoded once per cascade, not once per pass; one admitted in this block is
  // still the value `admit` put (T.pool is cached)
  const entries = new Map<string, PoolEntry>();
  const decode = (bytes: Uint8Array, k: Uint8Array): PoolEntry => {
    const h = keyString(k);
    let e = entries.get(h);
    if (e === undefined) {
      // views into the scanned bytes (ours: a copy, or the buffer's own), read and dropped with the block
      e = decodeExact(PoolEntryCodec, bytes, "state record", { views: true });
      entries.set(h, e);
    }
    return e;
  };
  for (;;) {
    let progressed = false;
    for (const [k, e] of [...T.pool.scanWith(ctx.kv, decode)]) {
      const st = status(ctx, e);
      if (st.kind === "wait") continue;
      progressed = true;
      const seq = new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0);
      // a PoV admitted in this block is already decoded: its stored bytes are not read back
      const povBytes = ctx.decoded?.has(hex(e.id))
        ? undefined
        : (T.poolPov.get(ctx.kv, seq) ?? new Uint8Array());
      ctx.kv.del(k);
      T.poolPov.del(ctx.kv, seq);
      T.poolById.del(ctx.kv, e.id);
      if (st.kind === "expire") {
        out.expired.push({ id: e.id, reason: st.reason });
        continue;
      }
      try {
        // all or nothing: a rejected PoV's effects are undone whole
        const { logs, upgrades } = atomically(
          ctx.kv,
          (kv) => applyEffects(kv === ctx.kv ? ctx : { ...ctx, kv }, e, povBytes),
          () => true,
        );
        out.canonicalised.push({
          id: e.id,
          core: e.core,
          collator: e.collator,
          actors: e.effects.transitions.map((t) => t.actor as ActorId),
        });
        out.logs.push(...logs);
        out.upgrades.push(...upgrades);
      } catch (x) {
        if (!(x instanceof EffectsRejected)) throw x;
        out.expired.push({
          id: e.id,
          reason: { kind: "EffectsRejected", code: x.code, details: x.details ?? "" },
        });
      }
    }
    if (!progressed) return;
  }
}

const reject = (code: string, details: string): never => {
  throw new EffectsRejected(code, details);
};

/** Applies a ready PoV's effects (DESIGN §4 "Canonicalised"); throws {@link EffectsRejected} to apply none. */
export function applyEffects(
  ctx: PoolContext,
  e: PoolEntry,
  /** The stored PoV; may be left out when `ctx.decoded` has it. */
  povBytes: Uint8Array | undefined,
): Pick<BlockResult, "logs" | "upgrades"> {
  const { kv, disk } = ctx;
  const fx = e.effects;
  const inPov = new Set<number>(fx.transitions.map((t) => t.actor));
  const must = (id: number, what: string): ActorInfo => {
    const a = getActor(kv, id as ActorId);
    if (!a) return reject("UNKNOWN_ACTOR", `${what}: actor ${id}`);
    return a;
  };
  const member = (id: number, what: string) => {
    if (!inPov.has(id)) reject("NOT_IN_POV", `${what}: actor ${id} has no slab in this PoV`);
  };
  const sequenceOf = new Map<number, bigint>();

  // 1. transitions, and the new current slab of each actor (its post image, materialised in full)
  let pov: PovSlabs;
  const known = ctx.decoded?.get(hex(e.id));
  if (known) pov = known;
  else {
    try {
      // views into our own copy of the stored bytes, dropped with the block
      pov = decodePovSlabs(povBytes ?? new Uint8Array(), true);
    } catch (x) {
      return reject("BAD_SLAB", `stored PoV does not decode: ${(x as Error).message}`);
    }
  }
  for (const [i, t] of fx.transitions.entries()) {
    const a = must(t.actor, "transition");
    const blob = T.codeBlob.get(kv, a.codeHash);
    if (!blob) return reject("UNKNOWN_CODE", `actor ${t.actor}`);
    let post: { hash: Uint8Array; bytes: Uint8Array };
    try {
      const program = ctx.engine.load(blob);
      const pre = program.decodeImage(pov.slabs[i].pre);
      if (!bytesEqual(pre.hash, t.preHash)) throw new Error("pre image hash differs from preHash");
      const img = program.decodeImageAgainst(pre, pov.slabs[i].post);
      post = { hash: img.hash, bytes: img.encode() };
    } catch (x) {
      return reject("BAD_SLAB", `actor ${t.actor}: ${(x as Error).message}`);
    }
    if (!bytesEqual(post.hash, t.postHash))
      reject("BAD_SLAB", `actor ${t.actor}: post image hash differs from postHash`);
    slabs.put(kv, t.actor as ActorId, post.bytes);
    putActor(kv, t.actor as ActorId, { ...a, sequence: t.sequence, stateHash: t.postHash });
    sequenceOf.set(t.actor, t.sequence);
  }

  // 2. postcards received: checked against the pigeonhole's hash chain (a forged or skipped one fails).
  // `seen` messages were read (all must be real), `count` of them consumed (dequeued).
  for (const r of fx.received) {
    member(r.actor, "received");
    const a = must(r.actor, "received");
    if (!bytesEqual(a.pigeonhole.head, r.headBefore)) {
      reject("POSTCARD_SKIPPED", `actor ${r.actor}: headBefore is not the pigeonhole's head`);
    }
    if (r.count > r.seen)
      reject("POSTCARD_MISSING", `actor ${r.actor}: consumed ${r.count} > read ${r.seen}`);
    if (r.seen > a.pigeonhole.queue.len) {
      reject("POSTCARD_MISSING", `actor ${r.actor}: ${r.seen} read, ${a.pigeonhole.queue.len} waiting`);
    }
    let head = a.pigeonhole.head as Hash;
    let afterCount: Uint8Array = head;
    for (const [i, m] of peek(kv, r.actor as ActorId, a, r.seen).entries()) {
      head = nextHead(head, m);
      if (i + 1 === r.count) afterCount = head;
    }
    if (!bytesEqual(afterCount, r.headAfter) || !bytesEqual(head, r.headSeen)) {
      reject("POSTCARD_FORGED", `actor ${r.actor}: received messages differ from the pigeonhole's`);
    }
    putActor(kv, r.actor as ActorId, dequeue(kv, r.actor as ActorId, a, r.count, r.headAfter));
  }

  // 3. receipts for the queued user calls the agenda ran (collators run them in queue order). Each
  // actor's queue is read once and written once, whatever the number of its calls.
  const queues = new Map<number, { a: ActorInfo; first: bigint; len: number }>();
  for (const c of fx.calls) {
    member(c.actor, "call");
    let st = queues.get(c.actor);
    if (!st) {
      const a = must(c.actor, "call");
      st = { a, first: a.calls.first, len: a.calls.len };
      queues.set(c.actor, st);
    }
    if (st.len === 0) continue;
    const at: [ActorId, bigint] = [c.actor as ActorId, st.first];
    const stored = T.callBytes.get(kv, at);
    const id = stored && queuedCallIdIf(stored, c.input);
    if (!id) continue; // the collator's own call: no receipt
    T.call.del(kv, at);
    st.first += 1n;
    st.len -= 1;
    T.receipt.put(kv, id as Hash, {
      id: id as Hash,
      actor: c.actor,
      block: ctx.block,
      sequence: sequenceOf.get(c.actor) ?? 0n,
      output: c.output,
    });
  }
  for (const [id, st] of queues) {
    if (st.first === st.a.calls.first) continue;
    const served = copyActor(st.a);
    served.calls = { first: st.first, len: st.len };
    putActor(kv, id as ActorId, served);
  }

  // 4. transfers between actors
  for (const t of fx.transfers) {
    member(t.from, "transfer");
    const from = must(t.from, "transfer");
    if (from.balance < t.amount)
      reject("INSUFFICIENT_BALANCE", `actor ${t.from}: ${from.balance} < ${t.amount}`);
    putActor(kv, t.from as ActorId, { ...from, balance: from.balance - t.amount });
    const to = must(t.to, "transfer");
    putActor(kv, t.to as ActorId, { ...to, balance: to.balance + t.amount });
  }

  // 5. postcards sent: into the recipients' pigeonholes. `send` already refused a full one from the
  // relay-parent view (issue 13 §0: a valid PoV's effects always apply), so no capacity check here: PoVs
  // of one block that each saw the same free slots may overfill a pigeonhole by at most `cores` times
  // its capacity, and the next view then shows no room until it drains.
  for (const m of fx.sent) {
    if (m.from.tag !== "Actor") return reject("BAD_SENDER", "a PoV can only send postcards from its actors");
    member(m.from.value, "send");
    if (m.data.length > MAX_MESSAGE_SIZE) reject("POSTCARD_TOO_LARGE", `${m.data.length} bytes`);
    const to = must(m.to, "send");
    putActor(kv, m.to as ActorId, enqueue(kv, m.to as ActorId, to, m));
  }

  // 6. code changes take effect after this PoV: the actor restarts on the new code, or stays where it
  // was when the upgrade is refused (DESIGN §10, upgrade.ts)
  for (const c of fx.codeChanges) member(c.actor, "set_code");
  const upgrades = applyUpgrades(ctx, fx.codeChanges);

  // 7. disk: stores, then releases, then each actor's quota (DESIGN §7)
  for (const s of fx.stored) {
    member(s.actor, "store");
    const r = disk.store(kv, { tag: "Actor", value: s.actor as ActorId }, s.data, 0n);
    if (!r.ok) reject(r.error.code, r.error.details ?? "");
    const a = must(s.actor, "store");
    putActor(kv, s.actor as ActorId, { ...a, diskUsed: a.diskUsed + BigInt(s.data.length) });
  }
  for (const s of fx.released) {
    member(s.actor, "release");
    const owner = { tag: "Actor", value: s.actor as ActorId } as const;
    // releasing what the actor does not hold does nothing: `release` cannot know it from the view,
    // and a refusal would freeze the actor (issue 13 §0)
    if (disk.refsOf(kv, owner, s.hash as Hash) === 0) continue;
    const r = disk.release(kv, owner, s.hash as Hash);
    if (!r.ok) return reject(r.error.code, `actor ${s.actor}: ${r.error.details ?? ""}`);
    const a = must(s.actor, "release");
    putActor(kv, s.actor as ActorId, { ...a, diskUsed: a.diskUsed - BigInt(r.value.size) });
  }
  for (const id of inPov) {
    const a = must(id, "disk");
    if (a.diskUsed > a.diskReserved)
      reject("DISK_OVER_QUOTA", `actor ${id}: ${a.diskUsed} > ${a.diskReserved} bytes`);
  }
  // requests made before were served by this play's witness (or dropped): only the new ones stay
  for (const id of inPov) disk.clearRequests(kv, id as ActorId);
  for (const r of fx.requested) {
    member(r.actor, "request");
    disk.request(kv, r.actor as ActorId, r.hash as Hash, ctx.block);
  }

  // 8. payouts to the collator, capped by what the actor holds (DESIGN §8)
  for (const p of fx.payouts) {
    member(p.actor, "payout");
    const a = must(p.actor, "payout");
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const amount = p.amount < a.balance ? p.amount : a.balance;
    if (amount === 0n) continue;
    putActor(kv, p.actor as ActorId, { ...a, balance: a.balance - amount });
    const c = getAccount(kv, e.collator as AccountId);
    putAccount(kv, e.collator as AccountId, { ...c, free: c.free + amount });
  }

  return { logs: fx.logs.map((l) => ({ actor: l.actor as ActorId, line: l.line })), upgrades };
}
