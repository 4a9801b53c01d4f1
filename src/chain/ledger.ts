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
export const putActor = (kv: KvWrite, id: ActorId, a: ActorInfo): void => T.actor.put(kv, id, a);

/** Burns `fee` from the issuance (fees leave circulation; the supply invariant accounts for them). */
export function burn(kv: KvWrite, fee: bigint): void {
  const m = getMeta(kv);
  putMeta(kv, { ...m, issuance: m.issuance - fee, burned: m.burned + fee });
}
