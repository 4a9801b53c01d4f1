// asset: one asset actor of the asset ledger over long-term storage (the proposal's "more
// sophisticated system"). Accounts live in batches; a batch rests on the disk as a preimage, or is
// administered by exactly one asset actor, as the registry records. This actor takes batches out of
// storage (claim at the registry → request → lookup in a later play), settles transfers between the
// batches it holds synchronously, sends a credit postcard (through the registry) for any other batch,
// and puts batches back on the disk when asked. Protocol in ../README.md.
import {
  CallContext,
  Methods,
  Reader,
  Writer,
  callActor,
  input,
  isCoscheduled,
  log,
  lookup,
  recv,
  release,
  replyDependencies,
  request,
  selfId,
  send,
  store,
  yield_,
} from "coreplay-sdk";
import {
  CREDIT,
  CREDIT_LEN,
  Credit,
  READ,
  READ_LEN,
  creditCard,
  encodeBatch,
  isZeroHash,
  readCredit,
  readCredits,
} from "./shared";

class Loading {
  constructor(
    public hash: Uint8Array,
    public storer: u32,
    /** Credits for the batch that arrived before its bytes did. */
    public credits: Credit[],
  ) {}
}

let ready: bool = false;
let registry: u32 = 0;
let batchSize: u32 = 64;
/** The batches administered here: batch → balances by account index. */
const held = new Map<u32, StaticArray<u64>>();
/** Batches claimed at the registry whose preimage has not been read yet. */
const loading = new Map<u32, Loading>();
/** Batches to claim, and batches to put back, at the next Service co-scheduled with the registry. */
let wanted: u32[] = [];
let returning: u32[] = [];
/** Credits for batches not held here that the registry could not take yet (retried every Service). */
let orphans: Uint8Array[] = [];
/** Disk references this actor holds: hex(hash) → count. */
const stored = new Map<string, i32>();
let minted: u64 = 0;
let sentOut: u64 = 0;
let receivedIn: u64 = 0;
/** Transfers that succeeded (settled here or sent), for the bench and the dashboard. */
let transfers: u64 = 0;

function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (<u32>bytes[i] + 0x100).toString(16).substring(1);
  return s;
}

function needReady(ctx: CallContext): bool {
  if (!ready) ctx.fail("not initialised: the asset actor needs one Service to read its args");
  return ready;
}

/** The balances of a held batch, or null after failing the call. */
function batchOf(ctx: CallContext, batch: u32, index: u16): StaticArray<u64> | null {
  if (!held.has(batch)) {
    ctx.fail("batch " + batch.toString() + " is not administered here");
    return null;
  }
  if (<u32>index >= batchSize) {
    ctx.fail("account index " + index.toString() + " is outside the batch");
    return null;
  }
  return held.get(batch);
}

/** 0x00 balanceOf(batch u32, index u16) -> u64 */
function balanceOf(ctx: CallContext): void {
  const batch = ctx.args.u32();
  const index = ctx.args.u16();
  const b = batchOf(ctx, batch, index);
  if (b !== null) ctx.out.u64(b[index]);
}

/** 0x01 mint(batch u32, index u16, amount u64) -> u64 new balance. Agenda Calls only (the issuer). */
function mint(ctx: CallContext): void {
  const batch = ctx.args.u32();
  const index = ctx.args.u16();
  const amount = ctx.args.u64();
  if (!needReady(ctx)) return;
  if (ctx.fromActor) return ctx.fail("only the issuer (an agenda Call) may mint");
  const b = batchOf(ctx, batch, index);
  if (b === null) return;
  if (b[index] + amount < amount) return ctx.fail("balance overflow");
  b[index] += amount;
  minted += amount;
  ctx.out.u64(b[index]);
}

/** One transfer; returns 0 settled here, 1 sent as a credit postcard, -1 after failing the call. */
function transferOne(ctx: CallContext, r: Reader): i32 {
  const fromBatch = r.u32();
  const fromIndex = r.u16();
  const toBatch = r.u32();
  const toIndex = r.u16();
  const amount = r.u64();
  if (amount == 0) {
    ctx.fail("amount must be positive");
    return -1;
  }
  const from = batchOf(ctx, fromBatch, fromIndex);
  if (from === null) return -1;
  if (<u32>toIndex >= batchSize) {
    ctx.fail("account index " + toIndex.toString() + " is outside the batch");
    return -1;
  }
  if (from[fromIndex] < amount) {
    ctx.fail("insufficient balance");
    return -1;
  }
  if (held.has(toBatch)) {
    if (toBatch == fromBatch && toIndex == fromIndex) {
      ctx.fail("from and to are the same account");
      return -1;
    }
    const to = held.get(toBatch);
    if (to[toIndex] + amount < amount) {
      ctx.fail("balance overflow");
      return -1;
    }
    from[fromIndex] -= amount;
    to[toIndex] += amount;
    transfers++;
    return 0;
  }
  from[fromIndex] -= amount;
  // A failed call rolls the image back, so the debit above cannot stand without its postcard.
  if (send(registry, creditCard(toBatch, toIndex, amount)) != 0) {
    ctx.fail("could not send the credit postcard");
    return -1;
  }
  sentOut += amount;
  transfers++;
  return 1;
}

/** 0x02 transfer(fromBatch u32, fromIndex u16, toBatch u32, toIndex u16, amount u64) -> u8: 0 here, 1 sent */
function transfer(ctx: CallContext): void {
  if (!needReady(ctx)) return;
  const r = transferOne(ctx, ctx.args);
  if (r >= 0) ctx.out.u8(<u8>r);
}

/** 0x03 transferMany(Vec<transfer>) -> u32 transfers settled here; all or none (the first failure fails it). */
function transferMany(ctx: CallContext): void {
  if (!needReady(ctx)) return;
  const n = <i32>ctx.args.compact();
  let here: u32 = 0;
  for (let i = 0; i < n; i++) {
    const r = transferOne(ctx, ctx.args);
    if (r < 0) return;
    if (r == 0) here++;
  }
  ctx.out.u32(here);
}

/** 0x04 take(batch u32) -> (): claim the batch at the next Service co-scheduled with the registry. */
function take(ctx: CallContext): void {
  const batch = ctx.args.u32();
  if (!needReady(ctx)) return;
  if (ctx.fromActor) return ctx.fail("only an agenda Call may move batches");
  if (held.has(batch) || loading.has(batch)) return ctx.fail("batch " + batch.toString() + " is already here");
  if (!wanted.includes(batch)) wanted.push(batch);
}

/** 0x05 giveBack(batch u32) -> (): store the batch and put it back at the next Service with the registry. */
function giveBack(ctx: CallContext): void {
  const batch = ctx.args.u32();
  if (!needReady(ctx)) return;
  if (ctx.fromActor) return ctx.fail("only an agenda Call may move batches");
  if (!held.has(batch)) return ctx.fail("batch " + batch.toString() + " is not administered here");
  if (!returning.includes(batch)) returning.push(batch);
}

function sortedKeys<V>(m: Map<u32, V>): u32[] {
  const keys = m.keys();
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys;
}

function writeIds(w: Writer, ids: u32[]): void {
  w.compact(<u64>ids.length);
  for (let i = 0; i < ids.length; i++) w.u32(ids[i]);
}

/**
 * 0x06 info() -> (held Vec<u32>, loading Vec<u32>, heldSum u64, loadingSum u64, orphanSum u64,
 * minted u64, sentOut u64, receivedIn u64, transfers u64)
 */
function info(ctx: CallContext): void {
  const heldIds = sortedKeys(held);
  let heldSum: u64 = 0;
  for (let i = 0; i < heldIds.length; i++) {
    const b = held.get(heldIds[i]);
    for (let j = 0; j < b.length; j++) heldSum += b[j];
  }
  const loadingIds = sortedKeys(loading);
  let loadingSum: u64 = 0;
  for (let i = 0; i < loadingIds.length; i++) {
    const c = loading.get(loadingIds[i]).credits;
    for (let j = 0; j < c.length; j++) loadingSum += c[j].amount;
  }
  let orphanSum: u64 = 0;
  for (let i = 0; i < orphans.length; i++) orphanSum += readCredit(new Reader(orphans[i])).amount;
  writeIds(ctx.out, heldIds);
  writeIds(ctx.out, loadingIds);
  ctx.out.u64(heldSum).u64(loadingSum).u64(orphanSum).u64(minted).u64(sentOut).u64(receivedIn).u64(transfers);
}

const methods = new Methods()
  .type("struct Transfer { fromBatch: u32, fromIndex: u16, toBatch: u32, toIndex: u16, amount: u64 }")
  .type(
    "struct Info { held: Vec<u32>, loading: Vec<u32>, heldSum: u64, loadingSum: u64, orphanSum: u64, minted: u64, sentOut: u64, receivedIn: u64, transfers: u64 }",
  )
  .on(0x00, balanceOf, "balanceOf(batch: u32, index: u16) -> u64")
  .on(0x01, mint, "mint(batch: u32, index: u16, amount: u64) -> u64")
  .on(0x02, transfer, "transfer(fromBatch: u32, fromIndex: u16, toBatch: u32, toIndex: u16, amount: u64) -> u8")
  .on(0x03, transferMany, "transferMany(transfers: Vec<Transfer>) -> u32")
  .on(0x04, take, "take(batch: u32)")
  .on(0x05, giveBack, "giveBack(batch: u32)")
  .on(0x06, info, "info() -> Info");

/** Applies a credit to a held batch (saturating is not an option: an overflow keeps it an orphan). */
function applyCredit(c: Credit): bool {
  const b = held.get(c.batch);
  if (<u32>c.index >= batchSize || b[c.index] + c.amount < c.amount) return false;
  b[c.index] += c.amount;
  receivedIn += c.amount;
  return true;
}

/** A credit from the registry: applied, kept for a batch still loading, or handed back to the registry. */
function onCredit(data: Uint8Array): void {
  const c = readCredit(new Reader(data));
  if (held.has(c.batch) && applyCredit(c)) return;
  if (loading.has(c.batch)) {
    loading.get(c.batch).credits.push(c);
    return;
  }
  // Not (or no longer) ours: the registry routes it to the batch's administrator or keeps it.
  if (send(registry, data) != 0) orphans.push(data);
}

function keepRef(hash: Uint8Array): void {
  const k = hex(hash);
  stored.set(k, (stored.has(k) ? stored.get(k) : 0) + 1);
}

/** Drops one disk reference this actor holds (a READ postcard for a hash it never stored is ignored). */
function dropRef(hash: Uint8Array): void {
  const k = hex(hash);
  if (!stored.has(k)) return;
  const n = stored.get(k) - 1;
  if (n == 0) stored.delete(k);
  else stored.set(k, n);
  release(hash);
}

function drainPostcards(): void {
  const retry = orphans;
  orphans = [];
  for (let i = 0; i < retry.length; i++) onCredit(retry[i]);
  let card = recv();
  while (card !== null) {
    const d = card.data;
    if (card.fromActor && <u32>card.from == registry && d.length == CREDIT_LEN && d[0] == CREDIT) onCredit(d);
    else if (card.fromActor && d.length == READ_LEN && d[0] == READ) dropRef(d.subarray(1));
    else log("asset: ignored a postcard that is neither a credit from the registry nor a read notice");
    card = recv();
  }
}

function claimAt(batch: u32): bool {
  const res = callActor(registry, new Writer(5).u8(0x00).u32(batch).finish());
  if (!res.ok) {
    log("asset: claim of batch " + batch.toString() + " failed: " + res.errorText());
    return false;
  }
  const r = res.reader();
  const tag = r.u8();
  if (tag == 0) {
    const hash = r.fixed(32);
    const storer = r.u32();
    const credits = readCredits(r, batch);
    if (isZeroHash(hash)) {
      held.set(batch, new StaticArray<u64>(<i32>batchSize));
      for (let i = 0; i < credits.length; i++) if (!applyCredit(credits[i])) orphans.push(creditCard(batch, credits[i].index, credits[i].amount));
    } else {
      loading.set(batch, new Loading(hash, storer, credits));
      request(hash);
    }
  } else if (tag == 2) {
    log("asset: batch " + batch.toString() + " is administered by actor " + r.u32().toString());
  }
  return true;
}

/** Reads a claimed batch's preimage once the witness has it; then tells its storer to release it. */
function finishLoading(batch: u32): void {
  const l = loading.get(batch);
  const bytes = lookup(l.hash);
  if (bytes === null) {
    // A request is served by the witness of the actor's next play only: ask again until one has it.
    request(l.hash);
    return;
  }
  const r = new Reader(bytes);
  const id = r.u32();
  const n = <i32>r.compact();
  if (id != batch || n != <i32>batchSize) abort("asset: batch preimage of another shape");
  const b = new StaticArray<u64>(n);
  for (let i = 0; i < n; i++) b[i] = r.u64();
  held.set(batch, b);
  loading.delete(batch);
  for (let i = 0; i < l.credits.length; i++) {
    const c = l.credits[i];
    if (!applyCredit(c)) orphans.push(creditCard(c.batch, c.index, c.amount));
  }
  if (l.storer == selfId()) dropRef(l.hash);
  else send(l.storer, new Writer(READ_LEN).u8(READ).raw(l.hash).finish());
}

function putBackAt(batch: u32): bool {
  const hash = store(encodeBatch(batch, held.get(batch)));
  if (hash === null) {
    log("asset: could not store batch " + batch.toString() + " (is disk space reserved?)");
    return false;
  }
  const res = callActor(registry, new Writer(37).u8(0x01).u32(batch).raw(hash).finish());
  if (!res.ok) {
    release(hash);
    log("asset: putBack of batch " + batch.toString() + " failed: " + res.errorText());
    return false;
  }
  keepRef(hash);
  held.delete(batch);
  return true;
}

/** args: (registry u32, batchSize u32). Each Service: postcards, claims, loads, put-backs, then yield. */
export function main(): void {
  const a = new Reader(input());
  registry = a.u32();
  batchSize = a.u32();
  if (batchSize == 0) batchSize = 1;
  ready = true;
  while (true) {
    drainPostcards();
    if (isCoscheduled(registry)) {
      const w = wanted;
      wanted = [];
      for (let i = 0; i < w.length; i++) if (!claimAt(w[i])) wanted.push(w[i]);
      const back = returning;
      returning = [];
      for (let i = 0; i < back.length; i++) if (held.has(back[i]) && !putBackAt(back[i])) returning.push(back[i]);
    }
    const pending = sortedKeys(loading);
    for (let i = 0; i < pending.length; i++) finishLoading(pending[i]);
    yield_();
  }
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}

/** Co-scheduled with the registry while a batch is to be claimed or put back. */
export function dependencies(_now: i64): void {
  replyDependencies(wanted.length > 0 || returning.length > 0 ? [registry] : []);
}
