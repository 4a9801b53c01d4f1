// asset registry: the synchronisation utility actor of the asset ledger (the proposal's "more
// sophisticated system"). It records which asset actor administers each batch of accounts, or the disk
// preimage a batch rests in when no one does. Asset actors claim and put back batches through
// `callActor` while co-scheduled with it; credit postcards for a batch go through it: forwarded to the
// batch's administrator, or kept until the next claim when the batch rests on the disk. Protocol in
// ../README.md.
import { CallContext, Methods, Reader, log, recv, send, yield_ } from "coreplay-sdk";
import { CREDIT, CREDIT_LEN, Credit, readCredit, writeCredits } from "./shared";

class Entry {
  /** The administering actor, or 0 while the batch rests on the disk. */
  admin: u32 = 0;
  /** The preimage the batch rests in (32 zero bytes: never stored, all balances zero). */
  hash: Uint8Array = new Uint8Array(32);
  /** The actor that stored `hash` (it holds the disk reference until the next claimer has read it). */
  storer: u32 = 0;
  /** Credits that arrived while the batch rested on the disk; handed to the next claimer. */
  pending: Credit[] = [];
}

const entries = new Map<u32, Entry>();
/** The asset actors of this asset: only they claim batches and send credits. */
const assets = new Set<u32>();
let administered: u32 = 0;
/** Sum of the pending credits of every batch (for the supply audit). */
let pendingSum: u64 = 0;
let forwarded: u64 = 0;

function entryOf(batch: u32): Entry {
  if (!entries.has(batch)) entries.set(batch, new Entry());
  return entries.get(batch);
}

function needAsset(ctx: CallContext): bool {
  if (!ctx.fromActor) ctx.fail("batches are administered by actors: call through callActor");
  else if (!assets.has(ctx.caller)) ctx.fail("actor " + ctx.caller.toString() + " is not an asset actor");
  return !ctx.failed;
}

/**
 * 0x00 claim(batch u32) -> enum { 0 Granted(hash [u8;32], storer u32, pending Vec<(index u16, amount u64)>),
 * 1 AlreadyYours, 2 Busy(admin u32) }. Granting makes the caller the batch's administrator.
 */
function claim(ctx: CallContext): void {
  const batch = ctx.args.u32();
  if (!needAsset(ctx)) return;
  const e = entryOf(batch);
  if (e.admin == ctx.caller) {
    ctx.out.u8(1);
    return;
  }
  if (e.admin != 0) {
    ctx.out.u8(2).u32(e.admin);
    return;
  }
  e.admin = ctx.caller;
  administered++;
  ctx.out.u8(0).raw(e.hash).u32(e.storer);
  writeCredits(ctx.out, e.pending);
  for (let i = 0; i < e.pending.length; i++) pendingSum -= e.pending[i].amount;
  e.pending = [];
}

/** 0x01 putBack(batch u32, hash [u8;32]) -> (): the caller, its administrator, stored it as `hash`. */
function putBack(ctx: CallContext): void {
  const batch = ctx.args.u32();
  const hash = ctx.args.fixed(32);
  if (!needAsset(ctx)) return;
  const e = entryOf(batch);
  if (e.admin != ctx.caller) return ctx.fail("batch " + batch.toString() + " is not administered by the caller");
  e.admin = 0;
  e.hash = hash;
  e.storer = ctx.caller;
  administered--;
}

/** 0x02 whereIs(batch u32) -> (admin u32, hash [u8;32], storer u32, pending u64) */
function whereIs(ctx: CallContext): void {
  const e = entryOf(ctx.args.u32());
  let pending: u64 = 0;
  for (let i = 0; i < e.pending.length; i++) pending += e.pending[i].amount;
  ctx.out.u32(e.admin).raw(e.hash).u32(e.storer).u64(pending);
}

/** 0x03 info() -> (batches u32, administered u32, pendingSum u64, forwarded u64) */
function info(ctx: CallContext): void {
  ctx.out.u32(<u32>entries.size).u32(administered).u64(pendingSum).u64(forwarded);
}

/** 0x04 addAsset(actor u32) -> (). Agenda Calls only (the issuer). */
function addAsset(ctx: CallContext): void {
  const actor = ctx.args.u32();
  if (ctx.fromActor) return ctx.fail("only an agenda Call may add asset actors");
  assets.add(actor);
}

const methods = new Methods()
  .type("struct Credit { index: u16, amount: u64 }")
  .type("struct Grant { hash: [u8; 32], storer: u32, pending: Vec<Credit> }")
  .type("enum Claim { Granted(Grant), AlreadyYours, Busy(u32) }")
  .type("struct Place { admin: u32, hash: [u8; 32], storer: u32, pending: u64 }")
  .type("struct RegistryInfo { batches: u32, administered: u32, pendingSum: u64, forwarded: u64 }")
  .on(0x00, claim, "claim(batch: u32) -> Claim")
  .on(0x01, putBack, "putBack(batch: u32, hash: [u8; 32])")
  .on(0x02, whereIs, "whereIs(batch: u32) -> Place")
  .on(0x03, info, "info() -> RegistryInfo")
  .on(0x04, addAsset, "addAsset(actor: u32)");

/** A credit for `batch`: to its administrator, or kept for the next claim while it rests. */
function route(data: Uint8Array): void {
  const c = readCredit(new Reader(data));
  const e = entryOf(c.batch);
  if (e.admin != 0 && send(e.admin, data) == 0) {
    forwarded += c.amount;
    return;
  }
  e.pending.push(c);
  pendingSum += c.amount;
}

/** No args. Each Service routes the credit postcards that arrived, then yields. */
export function main(): void {
  while (true) {
    let card = recv();
    while (card !== null) {
      const fromAsset = card.fromActor && assets.has(<u32>card.from);
      if (fromAsset && card.data.length == CREDIT_LEN && card.data[0] == CREDIT) route(card.data);
      else log("registry: ignored a postcard that is not a credit from an asset actor");
      card = recv();
    }
    yield_();
  }
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
