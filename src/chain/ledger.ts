/** Small typed accessors over the state tables, shared by transactions and canonicalisation. */
import type { AccountId, ActorId } from "../codec/ids.ts";
import { ChainError } from "./errors.ts";
import { type AccountInfo, type ActorInfo, type ChainMeta, T } from "./state.ts";
import type { KvRead, KvWrite } from "./storage.ts";

export function getMeta(kv: KvRead): ChainMeta {
  const m = T.meta.get(kv, null);
  if (!m) throw new ChainError("Chain state has no genesis", { code: "CHAIN_NO_GENESIS" });
  return m;
}
export const putMeta = (kv: KvWrite, m: ChainMeta): void => T.meta.put(kv, null, m);

export const getAccount = (kv: KvRead, id: AccountId): AccountInfo =>
  T.account.get(kv, id) ?? { free: 0n, reserved: 0n, nonce: 0n };
export const putAccount = (kv: KvWrite, id: AccountId, a: AccountInfo): void => T.account.put(kv, id, a);

export const getActor = (kv: KvRead, id: ActorId): ActorInfo | undefined => T.actor.get(kv, id);

/**
 * A fresh copy of an actor record, to change before it is put (records are never changed once put or
 * got). Written out: `{ ...a }` is a slow generic copy, and this runs once per call transaction.
 */
export function copyActor(a: ActorInfo): ActorInfo {
  return {
    codeHash: a.codeHash,
    stateHash: a.stateHash,
    sequence: a.sequence,
    owner: a.owner,
    balance: a.balance,
    diskReserved: a.diskReserved,
    diskUsed: a.diskUsed,
    diskDeposit: a.diskDeposit,
    calls: a.calls,
    pigeonhole: a.pigeonhole,
    createdAt: a.createdAt,
  };
}
export const putActor = (kv: KvWrite, id: ActorId, a: ActorInfo): void => T.actor.put(kv, id, a);

/** Burns `fee` from the issuance (fees leave circulation; the supply invariant accounts for them). */
export function burn(kv: KvWrite, fee: bigint): void {
  const m = getMeta(kv);
  putMeta(kv, { ...m, issuance: m.issuance - fee, burned: m.burned + fee });
}
