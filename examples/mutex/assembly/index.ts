// mutex: the spec's Synchronisation utility actor. Named locks with owners, lock / try-lock / unlock, a
// FIFO of waiters, a privilege list, and holders that keep a lock across several blocks. Other actors
// use it through `callActor` when co-scheduled. Protocol in ../README.md.
import { CallContext, Methods, Reader, input, log, now } from "coreplay-sdk";

class Lock {
  owner: u32 = 0;
  held: bool = false;
  /** Relay block when the current owner took it. */
  since: u32 = 0;
  waiters: u32[] = [];
}

const locks = new Map<string, Lock>();
/** Actors allowed to lock; empty = everyone. */
const privileged = new Set<u32>();
/** The admin actor that may grant/revoke (from main's args); -1 = agenda Calls (the owner's transactions). */
let admin: i64 = -1;

function lockOf(name: string): Lock {
  if (!locks.has(name)) locks.set(name, new Lock());
  return locks.get(name);
}

/** Only actors hold locks, and only privileged ones when the list is not empty. */
function mayLock(ctx: CallContext): bool {
  if (!ctx.fromActor) {
    ctx.fail("locks are held by actors: call through callActor");
    return false;
  }
  if (privileged.size > 0 && !privileged.has(ctx.caller)) {
    ctx.fail("actor " + ctx.caller.toString() + " is not privileged");
    return false;
  }
  return true;
}

function take(l: Lock, who: u32): void {
  l.held = true;
  l.owner = who;
  l.since = now();
}

/** 0x00 lock(name str) -> u8: 0 acquired (or already ours), 1 queued (we get it when it is released). */
function lock(ctx: CallContext): void {
  const name = ctx.args.str();
  if (!mayLock(ctx)) return;
  const l = lockOf(name);
  const me = ctx.caller;
  if (!l.held) {
    take(l, me);
    ctx.out.u8(0);
    return;
  }
  if (l.owner == me) {
    ctx.out.u8(0);
    return;
  }
  if (!l.waiters.includes(me)) l.waiters.push(me);
  ctx.out.u8(1);
}

/** 0x01 tryLock(name str) -> bool: acquired now (or already ours); never queues. */
function tryLock(ctx: CallContext): void {
  const name = ctx.args.str();
  if (!mayLock(ctx)) return;
  const l = lockOf(name);
  if (!l.held) take(l, ctx.caller);
  ctx.out.bool(l.owner == ctx.caller && l.held);
}

/** 0x02 unlock(name str) -> Option<u32>: the next owner (first waiter), if any. Only the owner may unlock. */
function unlock(ctx: CallContext): void {
  const name = ctx.args.str();
  if (!ctx.fromActor || !locks.has(name) || !locks.get(name).held || locks.get(name).owner != ctx.caller) {
    ctx.fail("not the owner of " + name);
    return;
  }
  const l = locks.get(name);
  if (l.waiters.length > 0) {
    const nextOwner = l.waiters.shift();
    take(l, nextOwner);
    ctx.out.u8(1).u32(nextOwner);
  } else {
    l.held = false;
    ctx.out.u8(0);
  }
}

/** 0x03 holder(name str) -> Option<(owner u32, since u32, waiters u32)> */
function holder(ctx: CallContext): void {
  const name = ctx.args.str();
  if (!locks.has(name) || !locks.get(name).held) {
    ctx.out.u8(0);
    return;
  }
  const l = locks.get(name);
  ctx.out.u8(1).u32(l.owner).u32(l.since).u32(<u32>l.waiters.length);
}

function isAdmin(ctx: CallContext): bool {
  if (ctx.origin == admin) return true;
  ctx.fail("only the admin may change privileges");
  return false;
}

/** 0x04 grant(actor u32) -> (); admin only. */
function grant(ctx: CallContext): void {
  const who = ctx.args.u32();
  if (!isAdmin(ctx)) return;
  privileged.add(who);
}

/** 0x05 revoke(actor u32) -> (); admin only. */
function revoke(ctx: CallContext): void {
  const who = ctx.args.u32();
  if (!isAdmin(ctx)) return;
  privileged.delete(who);
}

const methods = new Methods()
  .type("struct Holder { owner: u32, since: u32, waiters: u32 }")
  .on(0x00, lock, "lock(name: string) -> u8")
  .on(0x01, tryLock, "tryLock(name: string) -> bool")
  .on(0x02, unlock, "unlock(name: string) -> Option<u32>")
  .on(0x03, holder, "holder(name: string) -> Option<Holder>")
  .on(0x04, grant, "grant(actor: u32)")
  .on(0x05, revoke, "revoke(actor: u32)");

/** args: Option<u32> admin actor (absent: agenda Calls administer). */
export function main(): void {
  const args = input();
  if (args.length > 0) {
    const r = new Reader(args);
    if (r.u8() == 1) admin = <i64>r.u32();
  }
  log("mutex: ready, admin " + admin.toString());
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
