// ledger: the spec's branch actor for an asset ("Branch Actors"). Accounts are (branch, key); transfers
// within a branch settle synchronously; transfers to another branch debit here and send a credit
// postcard that the other branch applies in `main` (via recv). The existential deposit starts small and
// grows as the branch fills. Protocol in ../README.md.
import { CallContext, Methods, Reader, U128, Writer, input, log, recv, send, yield_ } from "coreplay-sdk";

const KEY_LEN = 32;
/** Postcard kinds. */
const CREDIT: u8 = 0;
const REFUND: u8 = 1;

let ready: bool = false;
let branch: u32 = 0;
let capacity: u32 = 1000;
let baseDeposit: U128 = U128.from(1);
/** Branch index → actor id of that branch. */
const peers = new Map<u32, u32>();
/** hex(key) → balance. */
const accounts = new Map<string, U128>();
let accountCount: u32 = 0;
/** Sum of balances here, minted here, sent out and received in (for the supply audit). */
let held: U128 = U128.zero();
let minted: U128 = U128.zero();
let sentOut: U128 = U128.zero();
let receivedIn: U128 = U128.zero();

function hexKey(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += (<u32>key[i] + 0x100).toString(16).substring(1);
  return s;
}

function balanceOfKey(k: string): U128 {
  return accounts.has(k) ? accounts.get(k) : U128.zero();
}

/** DESIGN-free rule of this example: ed = base × (1 + 9 × accounts / capacity): 1× empty, 10× full. */
function existentialDeposit(): U128 {
  return baseDeposit.mulU32(1 + <u32>((<u64>9 * accountCount) / capacity));
}

/** Credits `amount`, creating the account if needed. Returns false when it cannot be created. */
function credit(k: string, amount: U128): bool {
  if (!accounts.has(k)) {
    if (accountCount >= capacity || amount.lt(existentialDeposit())) return false;
    accountCount++;
    accounts.set(k, amount);
  } else {
    accounts.set(k, accounts.get(k).add(amount));
  }
  held = held.add(amount);
  return true;
}

/** Debits `amount`, which must leave 0 (the account is reaped) or at least the existential deposit. */
function debit(ctx: CallContext, k: string, amount: U128): bool {
  const have = balanceOfKey(k);
  if (have.lt(amount)) {
    ctx.fail("insufficient balance");
    return false;
  }
  const left = have.sub(amount);
  if (left.isZero()) {
    accounts.delete(k);
    accountCount--;
  } else {
    if (left.lt(existentialDeposit())) {
      ctx.fail("would leave the account below the existential deposit");
      return false;
    }
    accounts.set(k, left);
  }
  held = held.sub(amount);
  return true;
}

function needReady(ctx: CallContext): bool {
  if (!ready) ctx.fail("not initialised: the ledger needs one Service to read its args");
  return ready;
}

/** 0x00 balanceOf(key [u8;32]) -> u128 */
function balanceOf(ctx: CallContext): void {
  const k = hexKey(ctx.args.fixed(KEY_LEN));
  ctx.out.u128(balanceOfKey(k));
}

/** 0x01 mint(key [u8;32], amount u128) -> u128 new balance. Agenda Calls only (the issuer). */
function mint(ctx: CallContext): void {
  const k = hexKey(ctx.args.fixed(KEY_LEN));
  const amount = ctx.args.u128();
  if (!needReady(ctx)) return;
  if (ctx.fromActor) return ctx.fail("only the issuer (an agenda Call) may mint");
  if (!credit(k, amount)) return ctx.fail("below the existential deposit, or the branch is full");
  minted = minted.add(amount);
  ctx.out.u128(balanceOfKey(k));
}

/**
 * 0x02 transfer(from [u8;32], toBranch u32, to [u8;32], amount u128) -> u8: 0 settled here, 1 sent to
 * the other branch as a credit postcard. Demo: no signatures (the ABI gives `call` no account origin).
 */
function transfer(ctx: CallContext): void {
  const fromKey = ctx.args.fixed(KEY_LEN);
  const toBranch = ctx.args.u32();
  const toKey = ctx.args.fixed(KEY_LEN);
  const amount = ctx.args.u128();
  if (!needReady(ctx)) return;
  if (amount.isZero()) return ctx.fail("amount must be positive");
  const from = hexKey(fromKey);
  const to = hexKey(toKey);
  if (toBranch == branch) {
    if (from == to) return ctx.fail("from and to are the same account");
    const newAccount = !accounts.has(to);
    if (newAccount && (accountCount >= capacity || amount.lt(existentialDeposit()))) {
      return ctx.fail("the new account would be below the existential deposit, or the branch is full");
    }
    if (!debit(ctx, from, amount)) return;
    credit(to, amount);
    ctx.out.u8(0);
    return;
  }
  if (!peers.has(toBranch)) return ctx.fail("unknown branch " + toBranch.toString());
  if (!debit(ctx, from, amount)) return;
  const card = new Writer().u8(CREDIT).u32(branch).raw(fromKey).raw(toKey).u128(amount).finish();
  if (send(peers.get(toBranch), card) != 0) {
    // Undo: the debit above must not stand without its postcard.
    credit(from, amount);
    return ctx.fail("could not send the credit postcard");
  }
  sentOut = sentOut.add(amount);
  ctx.out.u8(1);
}

/** 0x03 info() -> (branch u32, accounts u32, capacity u32, ed u128, held u128, minted u128, sentOut u128, receivedIn u128) */
function info(ctx: CallContext): void {
  ctx.out
    .u32(branch)
    .u32(accountCount)
    .u32(capacity)
    .u128(existentialDeposit())
    .u128(held)
    .u128(minted)
    .u128(sentOut)
    .u128(receivedIn);
}

/** 0x04 setPeer(branch u32, actor u32) -> (). Agenda Calls only. */
function setPeer(ctx: CallContext): void {
  const b = ctx.args.u32();
  const actor = ctx.args.u32();
  if (ctx.fromActor) return ctx.fail("only an agenda Call may set peers");
  if (b == branch && ready) return ctx.fail("a branch is not its own peer");
  peers.set(b, actor);
}

const methods = new Methods()
  .type(
    "struct Info { branch: u32, accounts: u32, capacity: u32, ed: u128, held: u128, minted: u128, sentOut: u128, receivedIn: u128 }",
  )
  .on(0x00, balanceOf, "balanceOf(key: [u8; 32]) -> u128")
  .on(0x01, mint, "mint(key: [u8; 32], amount: u128) -> u128")
  .on(0x02, transfer, "transfer(from: [u8; 32], toBranch: u32, to: [u8; 32], amount: u128) -> u8")
  .on(0x03, info, "info() -> Info")
  .on(0x04, setPeer, "setPeer(branch: u32, actor: u32)");

/** Credits even below the deposit (refunds and failed bounces: funds must never vanish). */
function forceCredit(k: string, amount: U128): void {
  if (!accounts.has(k)) accountCount++;
  accounts.set(k, balanceOfKey(k).add(amount));
  held = held.add(amount);
}

const CARD_LEN = 1 + 4 + KEY_LEN + KEY_LEN + 16;

/** Applies a credit postcard from another branch; bounces it back if the account cannot be created. */
function applyPostcard(from: i64, data: Uint8Array): void {
  // Check the shape before reading: a malformed postcard must not trap (and fail) `main`.
  if (data.length != CARD_LEN) {
    log("ledger: ignored a postcard of the wrong size");
    return;
  }
  const r = new Reader(data);
  const kind = r.u8();
  const srcBranch = r.u32();
  const fromKey = r.fixed(KEY_LEN);
  const toKey = r.fixed(KEY_LEN);
  const amount = r.u128();
  if ((kind != CREDIT && kind != REFUND) || !peers.has(srcBranch) || <i64>peers.get(srcBranch) != from) {
    log("ledger: ignored a postcard that is not a credit from a known branch");
    return;
  }
  receivedIn = receivedIn.add(amount);
  const target = hexKey(kind == CREDIT ? toKey : fromKey);
  if (credit(target, amount)) return;
  if (kind == CREDIT) {
    // The account cannot be created here: send the funds back to the sender's account.
    const back = new Writer().u8(REFUND).u32(branch).raw(fromKey).raw(toKey).u128(amount).finish();
    if (send(<u32>from, back) == 0) {
      sentOut = sentOut.add(amount);
      log("ledger: refunded a credit below the existential deposit");
      return;
    }
  }
  forceCredit(target, amount);
}

/** args: (branch u32, capacity u32, baseDeposit u128). Then each Service applies incoming postcards. */
export function main(): void {
  const r = new Reader(input());
  branch = r.u32();
  capacity = r.u32();
  if (capacity == 0) capacity = 1;
  baseDeposit = r.u128();
  ready = true;
  log("ledger: branch " + branch.toString() + " open, capacity " + capacity.toString());
  while (true) {
    let card = recv();
    while (card !== null) {
      applyPostcard(card.from, card.data);
      card = recv();
    }
    yield_();
  }
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
