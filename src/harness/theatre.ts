/**
 * The harness's theatre: every deployed actor's program, image, balance and pigeonhole, an in-memory
 * disk, and the canonicalisation of a play's effects, in the order and with the checks of
 * src/chain/pool.ts `applyEffects` (all or nothing: effects the chain would reject are refused whole,
 * with the chain's code). Plays themselves run in the chain's executor (src/pov/executor.ts).
 */
import { toHex } from "../codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../codec/ids.ts";
import type { Message } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { PovEffects } from "../pov/types.ts";
import { upgradeActor } from "../pov/upgrade.ts";
import type { ActorImage, Program } from "../vm/engine.ts";
import { HarnessError } from "./errors.ts";

export interface HarnessActor {
  program: Program;
  image: ActorImage;
  balance: bigint;
  sequence: bigint;
  readonly mailbox: Message[];
  /** Preimage hashes asked for (`request`), served in the witness of the actor's next play. */
  requests: Hash[];
}

/** One preimage on the in-memory disk, with its references per actor. */
export interface DiskItem {
  data: Uint8Array;
  refs: Map<ActorId, number>;
}

/** What became of one `set_code` (as the chain's upgrade receipt). */
export interface HarnessUpgrade {
  actor: ActorId;
  from: CodeHash;
  to: CodeHash;
  outcome: { tag: "Upgraded"; value: bigint } | { tag: "Refused"; value: string };
}

export interface Theatre {
  readonly actors: Map<ActorId, HarnessActor>;
  /** Programs by code hash (hex): what `set_code` may move an actor to (the chain's uploaded codes). */
  readonly codes: Map<string, Program>;
  readonly disk: Map<string, DiskItem>;
  readonly pigeonholeCapacity: number;
  /** Payouts the plays' collator would have earned (DESIGN §8). */
  collatorEarnings: bigint;
  readonly upgrades: HarnessUpgrade[];
}

export function createTheatre(pigeonholeCapacity: number): Theatre {
  return {
    actors: new Map(),
    codes: new Map(),
    disk: new Map(),
    pigeonholeCapacity,
    collatorEarnings: 0n,
    upgrades: [],
  };
}

const rejected = (code: string, details: string): never => {
  throw new HarnessError("The chain would reject this play's effects", {
    code: "HARNESS_EFFECTS_REJECTED",
    details: `${code}: ${details}`,
    hint: "on a chain the PoV would expire and nothing of the play would apply; fix the actor",
  });
};

/** Copies of everything `apply` changes, so a rejected play changes nothing. */
function save(t: Theatre) {
  const actors = new Map(
    [...t.actors].map(([id, a]) => [id, { ...a, mailbox: [...a.mailbox], requests: [...a.requests] }]),
  );
  const disk = new Map([...t.disk].map(([k, d]) => [k, { data: d.data, refs: new Map(d.refs) }]));
  return { actors, disk, earnings: t.collatorEarnings, upgrades: t.upgrades.length };
}

function restore(t: Theatre, s: ReturnType<typeof save>): void {
  for (const [id, a] of s.actors) {
    const live = t.actors.get(id) as HarnessActor;
    Object.assign(live, { ...a, mailbox: live.mailbox, requests: a.requests });
    live.mailbox.splice(0, live.mailbox.length, ...a.mailbox);
  }
  t.disk.clear();
  for (const [k, d] of s.disk) t.disk.set(k, d);
  t.collatorEarnings = s.earnings;
  t.upgrades.length = s.upgrades;
}

/**
 * Applies a play's effects as canonicalisation does; throws HARNESS_EFFECTS_REJECTED (changing
 * nothing) where the chain would reject the PoV.
 */
export function applyPlay(
  t: Theatre,
  ids: readonly ActorId[],
  finals: readonly ActorImage[],
  fx: PovEffects,
): void {
  const saved = save(t);
  try {
    applyEffects(t, ids, finals, fx);
  } catch (e) {
    restore(t, saved);
    throw e;
  }
}

function applyEffects(t: Theatre, ids: readonly ActorId[], finals: readonly ActorImage[], fx: PovEffects) {
  const must = (id: number, what: string): HarnessActor =>
    t.actors.get(id as ActorId) ?? rejected("UNKNOWN_ACTOR", `${what}: actor ${id}`);
  // 1. transitions
  ids.forEach((id, i) => {
    const a = must(id, "transition");
    a.image = finals[i] as ActorImage;
    a.sequence += 1n;
  });
  // 2. postcards received
  for (const r of fx.received) must(r.actor, "received").mailbox.splice(0, r.count);
  // 4. transfers
  for (const x of fx.transfers) {
    const from = must(x.from, "transfer");
    if (from.balance < x.amount)
      rejected("INSUFFICIENT_BALANCE", `actor ${x.from}: ${from.balance} < ${x.amount}`);
    const to = must(x.to, "transfer");
    from.balance -= x.amount;
    to.balance += x.amount;
  }
  // 5. postcards sent: `send` already said Full from the play's room (issue 13 §0), so, as on the
  // chain, no capacity check here
  for (const m of fx.sent) must(m.to, "send").mailbox.push(m);
  // 6. code changes (DESIGN §10)
  for (const c of fx.codeChanges) {
    const a = must(c.actor, "set_code");
    const program = t.codes.get(toHex(c.codeHash));
    const v = upgradeActor(program, c.actor as ActorId, a.program.codeHash, c.carry);
    const from = a.program.codeHash;
    if (v.tag === "Upgraded") {
      a.program = program as Program;
      a.image = v.image;
    }
    t.upgrades.push({
      actor: c.actor as ActorId,
      from,
      to: c.codeHash,
      outcome:
        v.tag === "Upgraded" ? { tag: "Upgraded", value: v.gasUsed } : { tag: "Refused", value: v.reason },
    });
  }
  // 7. disk: stores, releases (the harness has no reservations: no quota), requests
  for (const s of fx.stored) {
    must(s.actor, "store");
    const key = toHex(blake2b256(s.data));
    const item = t.disk.get(key) ?? { data: s.data, refs: new Map<ActorId, number>() };
    item.refs.set(s.actor as ActorId, (item.refs.get(s.actor as ActorId) ?? 0) + 1);
    t.disk.set(key, item);
  }
  for (const r of fx.released) {
    must(r.actor, "release");
    const key = toHex(r.hash);
    const item = t.disk.get(key);
    const n = item?.refs.get(r.actor as ActorId);
    // as on the chain: releasing what the actor does not hold does nothing (`release` cannot know it
    // from the relay view, and a refusal would freeze the actor: issue 13 §0)
    if (!item || n === undefined) continue;
    if (n > 1) item.refs.set(r.actor as ActorId, n - 1);
    else item.refs.delete(r.actor as ActorId);
    if (item.refs.size === 0) t.disk.delete(key);
  }
  for (const id of ids) must(id, "request").requests = [];
  for (const r of fx.requested) {
    // as the chain's request table: one entry per (actor, hash), in hash order
    const a = must(r.actor, "request");
    if (a.requests.some((h) => toHex(h) === toHex(r.hash))) continue;
    a.requests.push(r.hash as Hash);
    a.requests.sort((x, y) => (toHex(x) < toHex(y) ? -1 : toHex(x) > toHex(y) ? 1 : 0));
  }
  // 8. payouts, capped by what the actor holds
  for (const p of fx.payouts) {
    const a = must(p.actor, "payout");
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const amount = p.amount < a.balance ? p.amount : a.balance;
    a.balance -= amount;
    t.collatorEarnings += amount;
  }
}
