/** ed25519 keys and signatures for accounts and transactions (@noble/curves). */
import { ed25519 } from "@noble/curves/ed25519.js";
import type { AccountId } from "../codec/ids.ts";
import { blake2b256 } from "./blake2b.ts";

export interface Keypair {
  readonly secretKey: Uint8Array;
  readonly publicKey: AccountId;
}

export function keypairFromSeed(seed: Uint8Array): Keypair {
  return { secretKey: seed, publicKey: ed25519.getPublicKey(seed) as AccountId };
}

/** Deterministic dev keypair `index`, like anvil's: seed = blake2b256("coreplay/dev/<index>"). */
export function devKeypair(index: number): Keypair {
  return keypairFromSeed(blake2b256(new TextEncoder().encode(`coreplay/dev/${index}`)));
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
