/**
 * Signed transactions (src/chain/README.md "Transactions"): SCALE payload `{ signer, nonce, fee, call }`
 * signed with ed25519 over `"coreplay/tx" || SCALE(payload)`.
 */
import type { AccountId, ActorId, Hash } from "../codec/ids.ts";
import {
  AccountIdCodec,
  ActorIdCodec,
  BalanceCodec,
  Bytes,
  CodeHashCodec,
  decodeExact,
  Enum,
  encode,
  HashCodec,
  Struct,
  u64,
  Vector,
  VecU8,
} from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type Keypair, sign, verify } from "../crypto/ed25519.ts";
import { err, ok, type Result } from "../errors.ts";
import type { ChainConfig } from "./config.ts";
import { TxError } from "./errors.ts";
import { SignedStatement } from "./statement.ts";

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
  /** The uploader removes a program no actor runs: its upload deposit returns (issue 13 §4). */
  RemoveCode: Struct({ codeHash: CodeHashCodec }),
  /** Join the collators' draw (issue 15 §1): `bond` is reserved from the signer (collators.ts). */
  RegisterCollator: Struct({ bond: BalanceCodec }),
  /** Backing statements proving a dispute or a collator's misbehaviour (disputes.ts); fee-free for a validator. */
  Report: Struct({ statements: Vector(SignedStatement) }),
});
export type TxCall = ReturnType<typeof TxCall.dec>;

export const TxPayload = Struct({ signer: AccountIdCodec, nonce: u64, fee: BalanceCodec, call: TxCall });
export type TxPayload = ReturnType<typeof TxPayload.dec>;

export const SignedTx = Struct({ payload: TxPayload, signature: Bytes(64) });
export type SignedTx = ReturnType<typeof SignedTx.dec>;

const DOMAIN = new TextEncoder().encode("coreplay/tx");

/** The bytes a signer signs. */
export function signingPayload(payload: TxPayload): Uint8Array {
  return withDomain(TxPayload.enc(payload));
}

const withDomain = (payloadBytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(DOMAIN.length + payloadBytes.length);
  out.set(DOMAIN);
  out.set(payloadBytes, DOMAIN.length);
  return out;
};

/** The least fee a transaction of `length` encoded bytes must offer. */
export const minFee = (config: Pick<ChainConfig, "baseFee" | "feePerByte">, length: number): bigint =>
  config.baseFee + config.feePerByte * BigInt(length);

/** A transaction's id: blake2b-256 of its encoding. A `Call`'s receipt is keyed by it. */
export const txHash = (bytes: Uint8Array): Hash => blake2b256(bytes);

/** Bytes of the fixed-size fields opening a payload: signer (32), nonce (u64), fee (u128). */
const PAYLOAD_HEAD = 32 + 8 + 16;
const SIGNATURE = 64;

/** A transaction ready to be signed: its SCALE payload and the exact message the signer signs. */
export interface UnsignedTx {
  payload: Uint8Array;
  message: Uint8Array;
}

/**
 * Encodes a payload once (`TxPayload.enc`: signer ‖ nonce ‖ fee ‖ call, fixed-size fields first), so a
 * node can sign many transactions elsewhere (worker threads) and {@link assembleTx} them. Without `fee`,
 * pays exactly {@link minFee} (the fee field is fixed-size, so the length does not depend on its value).
 */
export function prepareTx(
  signer: AccountId,
  tx: { nonce: bigint; call: TxCall; fee?: bigint },
  config: Pick<ChainConfig, "baseFee" | "feePerByte">,
): UnsignedTx {
  // the fast codec's bytes are scale-ts's (TxCall.enc), written in one buffer
  const call = encode(TxCall, tx.call);
  const fee = tx.fee ?? minFee(config, PAYLOAD_HEAD + call.length + SIGNATURE);
  const payload = new Uint8Array(PAYLOAD_HEAD + call.length);
  payload.set(AccountIdCodec.enc(signer));
  const dv = new DataView(payload.buffer);
  // as u64.enc and BalanceCodec.enc (u128: two signed 64-bit stores) write them
  dv.setBigUint64(32, tx.nonce, true);
  dv.setBigInt64(40, fee, true);
  dv.setBigInt64(48, fee >> 64n, true);
  payload.set(call, PAYLOAD_HEAD);
  return { payload, message: withDomain(payload) };
}

/** The signed transaction's bytes (`SignedTx.enc`): the payload, then the 64-byte signature. */
export function assembleTx(unsigned: UnsignedTx, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE) throw new TypeError(`signature of ${signature.length} bytes`);
  const out = new Uint8Array(unsigned.payload.length + SIGNATURE);
  out.set(unsigned.payload);
  out.set(signature, unsigned.payload.length);
  return out;
}

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
  const unsigned = prepareTx(keypair.publicKey, tx, config);
  return assembleTx(unsigned, sign(unsigned.message, keypair.secretKey));
}

/**
 * Hashes of transactions whose signature verified. Verification is a pure function of the bytes, so
 * remembering it is safe; it saves the second ed25519 verify when the tx pool's `checkTx` already did it,
 * or when {@link preverifyTxs} checked a block's transactions in parallel beforehand. Keyed by the
 * hash's latin1 string (one char per byte). Two generations: once the newer holds half the bound it
 * becomes the older and the older is dropped, so forgetting is O(1) (deleting a Set's oldest entry one
 * by one walks the holes left before it).
 */
let verified = new Set<string>();
let verifiedBefore = new Set<string>();
/** A generation holds half: above the node's largest block (20,000 transactions), so a pre-verified block is never evicted. */
const VERIFIED_MAX = 1 << 16;
/** The hash's key string: 32 chars, one per byte (hashes are 32 bytes; anything else goes through Buffer). */
function verifiedKey(h: Hash): string {
  if (h.length !== 32) return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString("latin1");
  const b = h as unknown as Record<number, number>;
  // biome-ignore format: one byte per argument
  return String.fromCharCode(
    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15],
    b[16], b[17], b[18], b[19], b[20], b[21], b[22], b[23], b[24], b[25], b[26], b[27], b[28], b[29], b[30], b[31]);
}
const isVerified = (key: string): boolean => verified.has(key) || verifiedBefore.has(key);
function remember(key: string): void {
  verified.add(key);
  if (verified.size >= VERIFIED_MAX / 2) {
    verifiedBefore = verified;
    verified = new Set();
  }
}

/**
 * Forgets every remembered verification, so the next check of any transaction verifies again. The memory
 * is per process, shared by every chain and node in it: a benchmark that runs the same transactions
 * through a second node calls this, or that node would skip their verification.
 */
export function forgetVerifiedTxs(): void {
  verified = new Set();
  verifiedBefore = new Set();
}

/** One ed25519 check: `signature` by `publicKey` over `message`. */
export interface SignatureCheck {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * The signature check of a transaction in its canonical encoding: the signer opens the payload, the
 * signature closes the bytes, and the signed message is the domain ‖ the payload bytes. `decodeTx`
 * accepts only canonical encodings (decodeExact), so for every transaction it accepts this is exactly
 * the check of `signingPayload(payload)`. `undefined` when the bytes are too short to be a transaction.
 */
export function signatureCheck(bytes: Uint8Array): SignatureCheck | undefined {
  if (bytes.length < PAYLOAD_HEAD + SIGNATURE) return undefined;
  const body = bytes.length - SIGNATURE;
  return {
    publicKey: bytes.subarray(0, 32),
    message: withDomain(bytes.subarray(0, body)),
    signature: bytes.subarray(body),
  };
}

/**
 * Verifies the signatures of many transactions with `verifyMany` (e.g. a pool of worker threads running
 * the same ed25519 verification), and remembers those that verified, so applying them does not verify
 * again. Transactions that fail, or are malformed, are simply not remembered: `decodeTx` then checks
 * (and refuses) them as usual. Resolves with how many verified.
 *
 * @example await preverifyTxs(txs, (checks) => pool.verify(checks)); chain.applyBlock({ txs, author });
 */
export async function preverifyTxs(
  txs: readonly Uint8Array[],
  verifyMany: (checks: SignatureCheck[]) => Promise<boolean[]>,
): Promise<number> {
  return (await checkTxs(txs, signatureCheck, verifyMany)).fresh;
}

/**
 * Like {@link preverifyTxs}, but answers per transaction: whether its signature is valid (checked now,
 * or remembered from an earlier check). A pool admitting transactions one by one uses it to refuse a bad
 * signature at once; `hashes` (each `txHash(txs[i])`) saves hashing again. Malformed bytes are `false`.
 *
 * @example const ok = await verifyTxs(txs, (checks) => pool.verify(checks)); // ok[i]: txs[i] verified
 */
export async function verifyTxs(
  txs: readonly Uint8Array[],
  verifyMany: (checks: SignatureCheck[]) => Promise<boolean[]>,
  hashes?: readonly Hash[],
): Promise<boolean[]> {
  return (await checkTxs(txs, signatureCheck, verifyMany, hashes)).valid;
}

/**
 * {@link verifyTxs} for a verifier that takes transactions whole (e.g. the signature workers, which then
 * need no message made and packed per transaction here): `verifySigned(txs, domain)` answers, per
 * transaction, whether its last 64 bytes are a signature by its first 32 over `domain ‖ the bytes before
 * the signature`. For a transaction in its canonical encoding that is exactly its {@link signatureCheck}
 * (`domain` is the transactions' signing domain). Transactions too short to be one are `false`.
 *
 * @example const ok = await verifyTxsWhole(txs, (txs, domain) => pool.verifySigned(txs, domain), hashes);
 */
export async function verifyTxsWhole(
  txs: readonly Uint8Array[],
  verifySigned: (txs: Uint8Array[], domain: Uint8Array) => Promise<boolean[]>,
  hashes?: readonly Hash[],
): Promise<boolean[]> {
  const whole = (bytes: Uint8Array) => (bytes.length < PAYLOAD_HEAD + SIGNATURE ? undefined : bytes);
  const r = await checkTxs(txs, whole, (items) => verifySigned(items, DOMAIN.slice()), hashes);
  return r.valid;
}

/**
 * Verifies with `verifyMany` the transactions not remembered as verified, each in the form `check`
 * makes of it (`undefined`: malformed, never valid), and remembers those that verified.
 */
async function checkTxs<C>(
  txs: readonly Uint8Array[],
  check: (bytes: Uint8Array) => C | undefined,
  verifyMany: (checks: C[]) => Promise<boolean[]>,
  hashes?: readonly Hash[],
): Promise<{ valid: boolean[]; fresh: number }> {
  const valid = new Array<boolean>(txs.length).fill(false);
  const at: number[] = [];
  const keys: string[] = [];
  const checks: C[] = [];
  for (let i = 0; i < txs.length; i++) {
    const bytes = txs[i] as Uint8Array;
    const c = check(bytes);
    if (c === undefined) continue;
    const k = verifiedKey(hashes?.[i] ?? txHash(bytes));
    if (isVerified(k)) {
      valid[i] = true;
      continue;
    }
    at.push(i);
    keys.push(k);
    checks.push(c);
  }
  if (checks.length === 0) return { valid, fresh: 0 };
  const ok = await verifyMany(checks);
  let fresh = 0;
  for (let j = 0; j < keys.length; j++) {
    if (ok[j] === true) {
      remember(keys[j] as string);
      valid[at[j] as number] = true;
      fresh++;
    }
  }
  return { valid, fresh };
}

/** The `Call` variant's tag byte in {@link TxCall}. */
const CALL_INDEX = TxCall.enc({ tag: "Call", value: { actor: 0 as ActorId, input: new Uint8Array() } })[0];

/**
 * `decodeExact(TxCall, b.subarray(at, end))` for the commonest call, a `Call` whose input is under 64
 * bytes (a one-byte compact length): tag, actor (u32), length, input, and nothing after. `undefined`
 * for anything else (then the codec decides). Byte fields are views into `b` when `views`, else copies.
 */
function smallCall(b: Uint8Array, at: number, end: number, views: boolean): TxCall | undefined {
  if (end - at < 6 || b[at] !== CALL_INDEX || ((b[at + 5] as number) & 3) !== 0) return undefined;
  const len = (b[at + 5] as number) >>> 2;
  if (end - at !== 6 + len) return undefined;
  const actor =
    ((b[at + 1] as number) | ((b[at + 2] as number) << 8) | ((b[at + 3] as number) << 16)) +
    (b[at + 4] as number) * 2 ** 24;
  const input = views ? b.subarray(at + 6, end) : b.slice(at + 6, end);
  return { tag: "Call", value: { actor: actor as ActorId, input } };
}

/**
 * `decodeExact(SignedTx, bytes)` for canonical bytes, reading the fixed-size fields directly and only
 * the call through the codec: `undefined` when the call part is not the canonical encoding of one call
 * (then `decodeExact` decides, with its error). When it returns a transaction, re-encoding it gives
 * `bytes` back, which is exactly what `decodeExact` checks. With `views`, byte fields are views into
 * `bytes` rather than copies.
 */
function decodeCanonical(bytes: Uint8Array, views: boolean): SignedTx | undefined {
  const end = bytes.length - SIGNATURE;
  if (end <= PAYLOAD_HEAD) return undefined;
  let call = smallCall(bytes, PAYLOAD_HEAD, end, views);
  if (call === undefined) {
    try {
      // Strict in one pass (src/codec/fast.ts): e.g. a fixed-size hash cut short at the end is refused,
      // which decoding and re-encoding with scale-ts let through. A view: the strict decoder copies the
      // call's byte fields out of it (unless `views`).
      call = decodeExact(TxCall, bytes.subarray(PAYLOAD_HEAD, end), "transaction call", { views });
    } catch {
      return undefined;
    }
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    payload: {
      signer: (views ? bytes.subarray(0, 32) : bytes.slice(0, 32)) as AccountId,
      nonce: dv.getBigUint64(32, true),
      fee: (dv.getBigUint64(48, true) << 64n) | dv.getBigUint64(40, true),
      call,
    },
    signature: views ? bytes.subarray(end) : bytes.slice(end),
  };
}

/**
 * Decodes and checks the signature of a transaction (stateless checks only).
 *
 * @example const r = decodeTx(bytes); if (r.ok) r.value.payload.nonce
 */
export function decodeTx(bytes: Uint8Array, decoded?: DecodedTx): Result<DecodedTx, TxError> {
  // A caller's own earlier decoding of these very bytes (BlockInput.decoded) stands for decoding again.
  const r: Result<DecodedTx, TxError> = decoded !== undefined ? ok(decoded) : decodeTxUnverified(bytes);
  if (!r.ok) return r;
  const tx = r.value;
  const key = verifiedKey(tx.hash);
  if (!isVerified(key)) {
    // canonical (decodeExact): the payload's encoding is the bytes before the signature
    const c = signatureCheck(bytes)!;
    if (!verify(tx.signature, c.message, tx.payload.signer)) {
      return err(new TxError("TX_BAD_SIGNATURE", "Bad transaction signature"));
    }
    remember(key);
  }
  return r;
}

/** A strictly decoded transaction with its hash and encoded length. */
export type DecodedTx = SignedTx & { hash: Hash; length: number };

/**
 * {@link decodeTx}'s strict decoding without its signature check: for a pool that checks signatures in
 * batches elsewhere ({@link verifyTxs}). Never apply what it returns without that check.
 */
export function decodeTxUnverified(
  bytes: Uint8Array,
  /** Byte fields (signer, signature, the call's bytes) as views into `bytes`: never write to `bytes` then. */
  opts?: { views?: boolean },
): Result<DecodedTx, TxError> {
  let tx: SignedTx | undefined = decodeCanonical(bytes, opts?.views === true);
  if (!tx) {
    try {
      tx = decodeExact(SignedTx, bytes, "transaction", opts);
    } catch (e) {
      return err(new TxError("TX_MALFORMED", "Malformed transaction", (e as Error).message));
    }
  }
  // `{ ...tx, hash, length }` written out (a spread per transaction is a slow generic copy)
  return ok({ payload: tx.payload, signature: tx.signature, hash: txHash(bytes), length: bytes.length });
}

export type { AccountId };
