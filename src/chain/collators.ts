/**
 * Registered collators (issue 15 §1, DESIGN §8): the genesis names the first ones (no bond); a
 * `RegisterCollator { bond }` transaction adds its signer, reserving the bond from its free balance.
 * Per block, the chain enforces the canonical collator of each PoV (canonical.ts) and remembers which
 * collators missed an actor with work (`noteMisses`). Deterministic state transitions only.
 */
import { bytesEqual } from "../codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../codec/ids.ts";
import { err, ok, type Result } from "../errors.ts";
import { canonicalCollator } from "./canonical.ts";
import type { ChainConfig } from "./config.ts";
import { PovRejected, TxError } from "./errors.ts";
import { getAccount, getActor, putAccount } from "./ledger.ts";
import { type CollatorInfo, T } from "./state.ts";
import type { KvRead, KvWrite } from "./storage.ts";

/** The registered collators' keys, in key order (the order every draw starts from). */
export function collatorKeys(kv: KvRead): AccountId[] {
  const out: AccountId[] = [];
  for (const [k] of kv.scan(new Uint8Array([T.collator.prefix]))) out.push(k.slice(1) as AccountId);
  return out;
}

export function collatorList(kv: KvRead): Array<{ collator: AccountId } & CollatorInfo> {
  const out: Array<{ collator: AccountId } & CollatorInfo> = [];
  for (const [k, v] of T.collator.scan(kv)) out.push({ collator: k.slice(1) as AccountId, ...v });
  return out;
}

/** Genesis: the spec's first collators, bond 0. */
export function registerGenesisCollators(kv: KvWrite, collators: readonly AccountId[]): void {
  for (const c of collators) T.collator.put(kv, c, { bond: 0n, since: 0 });
}

/** `RegisterCollator { bond }`: the signer joins the draw from the next block. */
export function registerCollator(
  kv: KvWrite,
  config: ChainConfig,
  signer: AccountId,
  bond: bigint,
  block: number,
): Result<null, TxError> {
  if (T.collator.get(kv, signer))
    return err(new TxError("TX_ALREADY_REGISTERED", "Already a registered collator"));
  if (bond < config.collatorBond)
    return err(new TxError("TX_BOND_TOO_LOW", "Collator bond too low", `${bond} < ${config.collatorBond}`));
  const a = getAccount(kv, signer);
  if (a.free < bond)
    return err(new TxError("TX_INSUFFICIENT_FUNDS", "Insufficient funds", `need ${bond}, have ${a.free}`));
  putAccount(kv, signer, { ...a, free: a.free - bond, reserved: a.reserved + bond });
  T.collator.put(kv, signer, { bond, since: block });
  return ok(null);
}

/**
 * Takes a misbehaving collator's bond (to `to`'s free balance). It stays in the draw with no bond: its
 * invalid PoVs are never backed, so its actors move on by the missed rule, and a collator reported by
 * mistake keeps working (docs/decisions.md). Returns what was slashed (0 for a genesis collator).
 */
export function slashCollator(kv: KvWrite, collator: AccountId, to: AccountId): bigint {
  const info = T.collator.get(kv, collator);
  if (!info) return 0n;
  T.collator.put(kv, collator, { bond: 0n, since: info.since });
  if (info.bond > 0n) {
    const c = getAccount(kv, collator);
    putAccount(kv, collator, { ...c, reserved: c.reserved - info.bond });
    const r = getAccount(kv, to);
    putAccount(kv, to, { ...r, free: r.free + info.bond });
  }
  return info.bond;
}

/** The canonical collator of `actor` in the block on `parent` (undefined: none registered). */
export function canonicalOf(kv: KvRead, actor: ActorId, parent: Hash): AccountId | undefined {
  const keys = collatorKeys(kv);
  if (keys.length === 0) return undefined;
  return canonicalCollator(actor, parent, keys, T.missed.get(kv, actor) ?? []);
}

/**
 * Admission's check (issue 15 §2): with collators registered, a PoV is admitted only from the
 * canonical collator of its lowest actor (actors co-scheduled with it by `dependencies()` follow it).
 */
export function checkCanonical(
  kv: KvRead,
  parent: Hash,
  collator: AccountId,
  actors: readonly number[],
): Result<null, PovRejected> {
  if (actors.length === 0) return ok(null);
  const lowest = Math.min(...actors) as ActorId;
  const c = canonicalOf(kv, lowest, parent);
  if (c === undefined || bytesEqual(c, collator)) return ok(null);
  return err(
    new PovRejected(
      "POV_NOT_CANONICAL",
      "The PoV's collator is not canonical for its actors in this block",
      `actor ${lowest}: canonical ${Buffer.from(c).toString("hex").slice(0, 16)}…`,
    ),
  );
}

/** Actors with work the chain can see: queued calls or waiting postcards. */
export function actorsWithWork(kv: KvRead): ActorId[] {
  const out: ActorId[] = [];
  for (const [k] of kv.scan(new Uint8Array([T.actor.prefix]))) {
    const id = new DataView(k.buffer, k.byteOffset + 1, 4).getUint32(0) as ActorId;
    const a = getActor(kv, id);
    if (a && (a.calls.len > 0 || a.pigeonhole.queue.len > 0)) out.push(id);
  }
  return out;
}

/**
 * After admission: every actor that had work at the parent and is in no pooled PoV now gets its
 * canonical collator of this block added to its `missed` list (cleared once it is in a PoV, and when
 * the list would exclude every collator). Runs only with collators registered.
 */
export function noteMisses(
  kv: KvWrite,
  parent: Hash,
  hadWork: readonly ActorId[],
  covered: ReadonlySet<number>,
): void {
  const keys = collatorKeys(kv);
  if (keys.length === 0) return;
  for (const a of hadWork) {
    const missed = T.missed.get(kv, a) ?? [];
    if (covered.has(a)) {
      if (missed.length > 0) T.missed.del(kv, a);
      continue;
    }
    const c = canonicalCollator(a, parent, keys, missed);
    if (c === undefined) continue;
    const next = [...missed.filter((m) => keys.some((k) => bytesEqual(k, m))), c];
    if (next.length >= keys.length) T.missed.del(kv, a);
    else T.missed.put(kv, a, next);
  }
  // an actor covered now whose work was not seen at the parent (a fresh call) has nothing to clear
  for (const a of covered) if (T.missed.get(kv, a as ActorId)) T.missed.del(kv, a as ActorId);
}
