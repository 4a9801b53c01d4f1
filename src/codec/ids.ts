import { CoreplayError } from "../errors.ts";
import { toHex } from "./bytes.ts";

declare const brand: unique symbol;
/** A nominal type: `Brand<number, "ActorId">` is a number only the checked constructor produces. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** An actor (the spec's Actor-Task) id: a u32. */
export type ActorId = Brand<number, "ActorId">;
/** blake2b-256 of a program blob. */
export type CodeHash = Brand<Uint8Array, "CodeHash">;
/** blake2b-256 Merkle root of an actor image (DESIGN §5). */
export type StateHash = Brand<Uint8Array, "StateHash">;
/** Any 32-byte blake2b-256 digest (preimage keys, block hashes). */
export type Hash = Brand<Uint8Array, "Hash">;
/** An ed25519 public key that owns balances and signs transactions. */
export type AccountId = Brand<Uint8Array, "AccountId">;
/** Amounts are u128, carried as bigint. */
export type Balance = bigint;

export const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;
export const U128_MAX = (1n << 128n) - 1n;

/**
 * Checked constructor for {@link ActorId}.
 * @example actorId(7) // 7 as ActorId
 */
export function actorId(n: number): ActorId {
  if (!Number.isInteger(n) || n < 0 || n > U32_MAX) {
    throw new CoreplayError("Invalid actor id", {
      code: "INVALID_ACTOR_ID",
      details: `expected an integer in 0..=${U32_MAX}, got ${n}`,
    });
  }
  return n as ActorId;
}

function bytes32<T extends Uint8Array>(what: string, code: string, b: Uint8Array): T {
  if (!(b instanceof Uint8Array) || b.byteLength !== 32) {
    throw new CoreplayError(`Invalid ${what}`, {
      code,
      details: `expected 32 bytes, got ${b instanceof Uint8Array ? b.byteLength : typeof b}`,
    });
  }
  return b as T;
}

export const codeHash = (b: Uint8Array): CodeHash => bytes32("code hash", "INVALID_CODE_HASH", b);
export const stateHash = (b: Uint8Array): StateHash => bytes32("state hash", "INVALID_STATE_HASH", b);
export const hash32 = (b: Uint8Array): Hash => bytes32("hash", "INVALID_HASH", b);
export const accountId = (b: Uint8Array): AccountId => bytes32("account id", "INVALID_ACCOUNT_ID", b);

export function balance(v: bigint | number | string): Balance {
  let b: bigint;
  try {
    b = BigInt(v);
  } catch (cause) {
    throw new CoreplayError("Invalid balance", { code: "INVALID_BALANCE", details: String(v), cause });
  }
  if (b < 0n || b > U128_MAX) {
    throw new CoreplayError("Invalid balance", {
      code: "INVALID_BALANCE",
      details: `expected 0..=2^128-1, got ${b}`,
    });
  }
  return b;
}

export const hashHex = (h: Uint8Array): string => toHex(h);
