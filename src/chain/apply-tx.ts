/**
 * Applying one signed transaction (src/chain/README.md "Transactions"). All checks pass or nothing is
 * written: the caller runs this in an overlay and commits only an `ok` result.
 */

import { bytesEqual } from "../codec/bytes.ts";
import type { ActorId, Hash } from "../codec/ids.ts";
import type { Message } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import type { Disk } from "../disk/index.ts";
import { slabs } from "../disk/index.ts";
import { CoreplayError, err, ok, type Result } from "../errors.ts";
import { MAX_MESSAGE_SIZE } from "../pov/limits.ts";
import type { Engine } from "../vm/engine.ts";
import { registerCollator } from "./collators.ts";
import type { ChainConfig } from "./config.ts";
import { applyReport, isValidator } from "./disputes.ts";
import { TxError } from "./errors.ts";
import { burn, copyActor, getAccount, getActor, getMeta, putAccount, putActor, putMeta } from "./ledger.ts";
import { EMPTY_HEAD, enqueue } from "./pigeonhole.ts";
import { type AccountInfo, type ActorInfo, T } from "./state.ts";
import type { KvWrite } from "./storage.ts";
import { type DecodedTx, decodeTx, minFee, type SignedTx } from "./tx.ts";
import type { TxApplied } from "./types.ts";

export interface TxContext {
  kv: KvWrite;
  config: ChainConfig;
  engine: Engine;
  disk: Disk;
  /** The block being built. */
  block: number;
  /**
   * When set, the fee is not burned here: the block sums the `fee` of each transaction it commits and
   * burns the sum once after its transactions (same end state, one update of the chain's meta record
   * instead of one per transaction).
   */
  deferBurn?: true;
}

const tooLarge = (what: string, n: number, max: number) =>
  err(new TxError("TX_TOO_LARGE", `${what} too large`, `${n} > ${max} bytes`));
const insufficient = (need: bigint, have: bigint) =>
  err(new TxError("TX_INSUFFICIENT_FUNDS", "Insufficient funds", `need ${need}, have ${have}`));
const unknownActor = (id: ActorId) => err(new TxError("TX_UNKNOWN_ACTOR", "Unknown actor", `actor ${id}`));

/** Decodes, verifies and applies `bytes`. Writes into `ctx.kv` even on failure: run it in an overlay. */
export function applyTx(
  ctx: TxContext,
  bytes: Uint8Array,
): Result<TxApplied & { hash: Hash; signer: SignedTx["payload"]["signer"]; nonce: bigint }, TxError> {
  const r = applyTxParts(ctx, bytes);
  if (!r.ok) return r;
  const { value, fee, hash, signer, nonce } = r.value;
  return ok({ ...value, fee, hash, signer, nonce });
}

/** An applied transaction: what its call returned, and the fields every transaction has. */
export interface AppliedParts {
  value: Omit<TxApplied, "fee">;
  fee: bigint;
  hash: Hash;
  signer: SignedTx["payload"]["signer"];
  nonce: bigint;
}

/**
 * What a block reports for an applied transaction: `{ ...value, fee }` without `hash` (as
 * `const { signer, nonce, hash, ...applied } = applyTx(...)` gives), written out for the calls' usual
 * results: a spread of differently shaped objects is a slow generic copy, once per transaction.
 */
export function appliedOf(p: AppliedParts): TxApplied {
  const v = p.value;
  const n =
    (v.codeHash === undefined ? 0 : 1) + (v.actor === undefined ? 0 : 1) + (v.hash === undefined ? 0 : 1);
  if (Object.keys(v).length === n) {
    if (n === 0 || (n === 1 && v.hash !== undefined)) return { fee: p.fee };
    if (n === 1 && v.codeHash !== undefined) return { codeHash: v.codeHash, fee: p.fee };
    if (n === 1 && v.actor !== undefined) return { actor: v.actor, fee: p.fee };
  }
  const { hash: _h, ...rest } = { ...v, fee: p.fee };
  return rest;
}

/** {@link applyTx} without assembling its result object. */
export function applyTxParts(
  ctx: TxContext,
  bytes: Uint8Array,
  /** `decodeTxUnverified(bytes)`'s value, if the caller has it (BlockInput.decoded). */
  already?: DecodedTx,
): Result<AppliedParts, TxError> {
  const decoded = decodeTx(bytes, already);
  if (!decoded.ok) return decoded;
  const { payload, hash, length } = decoded.value;
  const { kv, config } = ctx;
  const acct = getAccount(kv, payload.signer);
  if (payload.nonce < acct.nonce) {
    return err(
      new TxError("TX_STALE_NONCE", "Stale nonce (replay)", `nonce ${payload.nonce} < ${acct.nonce}`),
    );
  }
  if (payload.nonce > acct.nonce) {
    return err(
      new TxError("TX_FUTURE_NONCE", "Nonce from the future", `nonce ${payload.nonce} > ${acct.nonce}`),
    );
  }
  // a validator's evidence pays no fee (it may hold no balance; a report is accepted once per PoV)
  const need =
    payload.call.tag === "Report" && isValidator(config, payload.signer) ? 0n : minFee(config, length);
  if (payload.fee < need)
    return err(new TxError("TX_FEE_TOO_LOW", "Fee too low", `${payload.fee} < ${need}`));
  if (acct.free < payload.fee) return insufficient(payload.fee, acct.free);
  // written out rather than `{ ...acct, free, nonce }` (a slow generic copy, per transaction)
  const paid: AccountInfo = {
    free: acct.free - payload.fee,
    reserved: acct.reserved,
    nonce: acct.nonce + 1n,
  };
  putAccount(kv, payload.signer, paid);
  if (!ctx.deferBurn) burn(kv, payload.fee);
  const r = dispatch(ctx, decoded.value, hash);
  if (!r.ok) return r;
  return ok({ value: r.value, fee: payload.fee, hash, signer: payload.signer, nonce: payload.nonce });
}

/** An engine error as `CODE: what (details)`, so a refusal names the ProgramError code (docs/abi.md §7). */
function engineReason(e: unknown): string {
  if (e instanceof CoreplayError) return `${e.code}: ${e.shortMessage}${e.details ? ` (${e.details})` : ""}`;
  return (e as Error)?.message ?? String(e);
}

function dispatch(ctx: TxContext, tx: SignedTx, hash: Hash): Result<Omit<TxApplied, "fee">, TxError> {
  const { kv, config, engine, disk } = ctx;
  const signer = tx.payload.signer;
  const call = tx.payload.call;
  const debit = (amount: bigint): Result<null, TxError> => {
    const a = getAccount(kv, signer);
    if (a.free < amount) return insufficient(amount, a.free);
    putAccount(kv, signer, { ...a, free: a.free - amount });
    return ok(null);
  };
  switch (call.tag) {
    case "Upload": {
      const { blob } = call.value;
      if (blob.length > config.maxCodeSize) return tooLarge("Program", blob.length, config.maxCodeSize);
      const codeHash = blake2b256(blob) as unknown as import("../codec/ids.ts").CodeHash;
      if (T.codeInfo.get(kv, codeHash)) return ok({ codeHash }); // deduplicated: no second deposit
      try {
        // docs/abi.md §7: creation code (start function, `_initialize`) that traps, loops past its gas
        // or calls an import is refused here (INIT_FAILED), not at every later Create.
        engine.load(blob).createImage(new Uint8Array());
      } catch (e) {
        return err(new TxError("TX_BAD_PROGRAM", "Program rejected by the engine", engineReason(e)));
      }
      const deposit = BigInt(blob.length) * config.codeDepositPerByte;
      const a = getAccount(kv, signer);
      if (a.free < deposit) return insufficient(deposit, a.free);
      putAccount(kv, signer, { ...a, free: a.free - deposit, reserved: a.reserved + deposit });
      T.codeInfo.put(kv, codeHash, { refs: 1, size: blob.length, uploader: signer, deposit });
      T.codeBlob.put(kv, codeHash, blob);
      return ok({ codeHash });
    }
    case "RegisterCollator": {
      const r = registerCollator(kv, config, signer, call.value.bond, ctx.block);
      return r.ok ? ok({}) : r;
    }
    case "Report": {
      const r = applyReport(kv, config, signer, call.value.statements, ctx.block);
      return r.ok ? ok({ hash: r.value.pov }) : r;
    }
    case "RemoveCode": {
      // issue 13 §4: the upload's deposit returns when its last reference (the upload's own) goes
      const { codeHash } = call.value;
      const info = T.codeInfo.get(kv, codeHash);
      if (!info) return err(new TxError("TX_UNKNOWN_CODE", "Unknown code hash"));
      if (!bytesEqual(info.uploader, signer)) {
        return err(new TxError("TX_NOT_OWNER", "Only the uploader can remove a program"));
      }
      if (info.refs > 1) {
        return err(new TxError("TX_CODE_IN_USE", "Program still in use", `${info.refs - 1} actors run it`));
      }
      const a = getAccount(kv, signer);
      putAccount(kv, signer, { ...a, free: a.free + info.deposit, reserved: a.reserved - info.deposit });
      T.codeInfo.del(kv, codeHash);
      T.codeBlob.del(kv, codeHash);
      return ok({ codeHash });
    }
    case "Create": {
      const { codeHash, args, endowment } = call.value;
      const info = T.codeInfo.get(kv, codeHash);
      const blob = T.codeBlob.get(kv, codeHash);
      if (!info || !blob) return err(new TxError("TX_UNKNOWN_CODE", "Unknown code hash"));
      if (args.length > config.maxCallInput) return tooLarge("Init args", args.length, config.maxCallInput);
      const paid = debit(endowment);
      if (!paid.ok) return paid;
      let image: { hash: Uint8Array; bytes: Uint8Array };
      try {
        const img = engine.load(blob).createImage(args);
        image = { hash: img.hash, bytes: img.encode() };
      } catch (e) {
        return err(new TxError("TX_BAD_PROGRAM", "Initial image could not be made", engineReason(e)));
      }
      const meta = getMeta(kv);
      const id = meta.nextActor as ActorId;
      putMeta(kv, { ...meta, nextActor: meta.nextActor + 1 });
      const actor: ActorInfo = {
        codeHash,
        stateHash: image.hash as Hash,
        sequence: 0n,
        owner: signer,
        balance: endowment,
        diskReserved: 0n,
        diskUsed: 0n,
        diskDeposit: 0n,
        calls: { first: 0n, len: 0 },
        pigeonhole: { queue: { first: 0n, len: 0 }, head: EMPTY_HEAD, tail: EMPTY_HEAD },
        createdAt: ctx.block,
      };
      putActor(kv, id, actor);
      T.codeInfo.put(kv, codeHash, { ...info, refs: info.refs + 1 });
      slabs.put(kv, id, image.bytes); // DESIGN §4: the first collator starts from this image
      return ok({ actor: id });
    }
    case "Fund": {
      const { actor, amount } = call.value;
      const a = getActor(kv, actor);
      if (!a) return unknownActor(actor);
      if (amount === 0n) return err(new TxError("TX_ZERO_AMOUNT", "Zero amount"));
      const paid = debit(amount);
      if (!paid.ok) return paid;
      putActor(kv, actor, { ...a, balance: a.balance + amount });
      return ok({});
    }
    case "Transfer": {
      const { to, amount } = call.value;
      if (amount === 0n) return err(new TxError("TX_ZERO_AMOUNT", "Zero amount"));
      const paid = debit(amount);
      if (!paid.ok) return paid;
      const b = getAccount(kv, to);
      putAccount(kv, to, { ...b, free: b.free + amount });
      return ok({});
    }
    case "Call": {
      const { actor, input } = call.value;
      const a = getActor(kv, actor);
      if (!a) return unknownActor(actor);
      if (input.length > config.maxCallInput)
        return tooLarge("Call input", input.length, config.maxCallInput);
      if (a.calls.len >= config.callQueueCapacity) {
        return err(new TxError("TX_QUEUE_FULL", "Call queue full", `actor ${actor}: ${a.calls.len} waiting`));
      }
      T.call.put(kv, [actor, a.calls.first + BigInt(a.calls.len)], {
        id: hash,
        from: signer,
        input,
        queuedAt: ctx.block,
      });
      const queued = copyActor(a);
      queued.calls = { first: a.calls.first, len: a.calls.len + 1 };
      putActor(kv, actor, queued);
      return ok({ hash });
    }
    case "Post": {
      const { actor, data } = call.value;
      const a = getActor(kv, actor);
      if (!a) return unknownActor(actor);
      if (data.length > MAX_MESSAGE_SIZE) return tooLarge("Postcard", data.length, MAX_MESSAGE_SIZE);
      if (a.pigeonhole.queue.len >= config.pigeonholeCapacity) {
        return err(
          new TxError("TX_PIGEONHOLE_FULL", "Pigeonhole full", `actor ${actor}: ${a.pigeonhole.queue.len}`),
        );
      }
      const message: Message = { from: { tag: "Account", value: signer }, to: actor, data };
      putActor(kv, actor, enqueue(kv, actor, a, message));
      return ok({});
    }
    case "Store": {
      const { data } = call.value;
      if (data.length > config.maxPreimageSize)
        return tooLarge("Preimage", data.length, config.maxPreimageSize);
      const deposit = BigInt(data.length) * config.diskDepositPerByte;
      const a = getAccount(kv, signer);
      if (a.free < deposit) return insufficient(deposit, a.free);
      const stored = disk.store(kv, { tag: "Account", value: signer }, data, deposit);
      if (!stored.ok)
        return err(new TxError("TX_TOO_LARGE", stored.error.shortMessage, stored.error.details));
      putAccount(kv, signer, { ...a, free: a.free - deposit, reserved: a.reserved + deposit });
      return ok({ hash: stored.value.hash });
    }
    case "Release": {
      const released = disk.release(kv, { tag: "Account", value: signer }, call.value.hash);
      if (!released.ok) return err(new TxError("TX_UNKNOWN_PREIMAGE", "No such preimage held by the signer"));
      const a = getAccount(kv, signer);
      const refund = released.value.refund;
      putAccount(kv, signer, { ...a, free: a.free + refund, reserved: a.reserved - refund });
      return ok({});
    }
    case "Reserve": {
      const { actor, bytes } = call.value;
      const a = getActor(kv, actor);
      if (!a) return unknownActor(actor);
      if (bytes === 0n) return err(new TxError("TX_ZERO_AMOUNT", "Zero bytes"));
      const deposit = bytes * config.diskDepositPerByte;
      const paid = debit(deposit);
      if (!paid.ok) return paid;
      putActor(kv, actor, {
        ...a,
        diskReserved: a.diskReserved + bytes,
        diskDeposit: a.diskDeposit + deposit,
      });
      return ok({});
    }
    case "Unreserve": {
      const { actor, bytes } = call.value;
      const a = getActor(kv, actor);
      if (!a) return unknownActor(actor);
      if (!bytesEqual(a.owner, signer))
        return err(new TxError("TX_NOT_OWNER", "Only the actor's owner may unreserve"));
      if (bytes === 0n) return err(new TxError("TX_ZERO_AMOUNT", "Zero bytes"));
      if (bytes > a.diskReserved - a.diskUsed) {
        return err(
          new TxError(
            "TX_RESERVATION_IN_USE",
            "Reservation in use",
            `${a.diskUsed} of ${a.diskReserved} bytes used`,
          ),
        );
      }
      // the deposit per byte is the one paid: take back the same share of it
      const refund = (a.diskDeposit * bytes) / a.diskReserved;
      putActor(kv, actor, {
        ...a,
        diskReserved: a.diskReserved - bytes,
        diskDeposit: a.diskDeposit - refund,
      });
      const o = getAccount(kv, signer);
      putAccount(kv, signer, { ...o, free: o.free + refund });
      return ok({});
    }
  }
}
