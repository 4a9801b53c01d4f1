/**
 * Signed transactions (src/chain/README.md "Transactions"): SCALE payload `{ signer, nonce, fee, call }`
 * signed with ed25519 over `"coreplay/tx" || SCALE(payload)`.
 */
import type { AccountId, Hash } from "../codec/ids.ts";
import {
  AccountIdCodec,
  ActorIdCodec,
  BalanceCodec,
  Bytes,
  CodeHashCodec,
  decodeExact,
  Enum,
  HashCodec,
  Struct,
  u64,
  VecU8,
} from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { err, ok, type Result } from "../errors.ts";
import type { ChainConfig } from "./config.ts";
import { TxError } from "./errors.ts";

export const TxCall = Enum({
  /** Store a program blob (deposit per byte; deduplicated by code hash). */
  Upload: Struct({ blob: VecU8 }),
  /** Create an actor from a stored program: `main(args)` pending, `endowment` moved to it. */
  Create: Struct({ codeHash: CodeHashCodec, args: VecU8, endowment: BalanceCodec }),
  /** Move balance from the signer to an actor. */
  Fund: Struct({ actor: ActorIdCodec, amount: BalanceCodec }),
  /** Move balance between accounts. */
  Transfer: Struct({ to: AccountIdCodec, amount: BalanceCodec }),
  /** Queue a user call for the actor; a collator runs it as an agenda `Call` and a receipt follows. */
  Call: Struct({ actor: ActorIdCodec, input: VecU8 }),
  /** Queue a postcard from the signer into the actor's pigeonhole. */
  Post: Struct({ actor: ActorIdCodec, data: VecU8 }),
  /** Store a preimage on the disk (deposit per byte, one reference). */
  Store: Struct({ data: VecU8 }),
  /** Drop one of the signer's references to a preimage; its deposit returns. */
  Release: Struct({ hash: HashCodec }),
  /** Prepay `bytes` of disk for an actor (deposit per byte, locked with the actor). */
  Reserve: Struct({ actor: ActorIdCodec, bytes: u64 }),
  /** The actor's owner takes back unused reservation: its deposit returns to the owner. */
  Unreserve: Struct({ actor: ActorIdCodec, bytes: u64 }),
});
export type TxCall = ReturnType<typeof TxCall.dec>;

export const TxPayload = Struct({ signer: AccountIdCodec, nonce: u64, fee: BalanceCodec, call: TxCall });
export type TxPayload = ReturnType<typeof TxPayload.dec>;

export const SignedTx = Struct({ payload: TxPayload, signature: Bytes(64) });
export type SignedTx = ReturnType<typeof SignedTx.dec>;

const DOMAIN = new TextEncoder().encode("coreplay/tx");

/** The bytes a signer signs. */
export function signingPayload(payload: TxPayload): Uint8Array {
  const body = TxPayload.enc(payload);
  const out = new Uint8Array(DOMAIN.length + body.length);
  out.set(DOMAIN);
  out.set(body, DOMAIN.length);
  return out;
}

/** The least fee a transaction of `length` encoded bytes must offer. */
export const minFee = (config: Pick<ChainConfig, "baseFee" | "feePerByte">, length: number): bigint =>
  config.baseFee + config.feePerByte * BigInt(length);

/** A transaction's id: blake2b-256 of its encoding. A `Call`'s receipt is keyed by it. */
export const txHash = (bytes: Uint8Array): Hash => blake2b256(bytes);

/**
 * Builds and signs a transaction. Without `fee`, pays exactly {@link minFee}.
 *
 * @example
 * const bytes = signTx(devKeypair(0), { nonce: 0n, call: { tag: "Fund", value: { actor, amount: 10n } } }, config);
 */
export function signTx(
  keypair: Keypair,
  tx: { nonce: bigint; call: TxCall; fee?: bigint },
  config: Pick<ChainConfig, "baseFee" | "feePerByte">,
): Uint8Array {
  const payload: TxPayload = { signer: keypair.publicKey, nonce: tx.nonce, fee: tx.fee ?? 0n, call: tx.call };
  if (tx.fee === undefined) {
    // the fee field is fixed-size, so the length does not depend on its value
    payload.fee = minFee(config, SignedTx.enc({ payload, signature: new Uint8Array(64) }).length);
  }
  return SignedTx.enc({ payload, signature: sign(signingPayload(payload), keypair.secretKey) });
}

/**
 * Hashes of transactions whose signature verified. Verification is a pure function of the bytes, so
 * remembering it is safe; it saves the second ed25519 verify when the tx pool's `checkTx` already did it.
 */
const VERIFIED = new Set<string>();
const VERIFIED_MAX = 16_384;

/**
 * Decodes and checks the signature of a transaction (stateless checks only).
 *
 * @example const r = decodeTx(bytes); if (r.ok) r.value.payload.nonce
 */
export function decodeTx(bytes: Uint8Array): Result<SignedTx & { hash: Hash; length: number }, TxError> {
  let tx: SignedTx;
  try {
    tx = decodeExact(SignedTx, bytes, "transaction");
  } catch (e) {
    return err(new TxError("TX_MALFORMED", "Malformed transaction", (e as Error).message));
  }
  const hash = txHash(bytes);
  const key = Buffer.from(hash).toString("hex");
  if (!VERIFIED.has(key)) {
    if (!verify(tx.signature, signingPayload(tx.payload), tx.payload.signer)) {
      return err(new TxError("TX_BAD_SIGNATURE", "Bad transaction signature"));
    }
    VERIFIED.add(key);
    // bounded: forget the oldest (a Set iterates in insertion order)
    if (VERIFIED.size > VERIFIED_MAX) VERIFIED.delete(VERIFIED.values().next().value as string);
  }
  return ok({ ...tx, hash, length: bytes.length });
}

export type { AccountId };
