// upgradable v1: a counter that can move itself to new code, carrying its count. Protocol in ../README.md.
import { CallContext, Methods, Writer, log, setCode } from "coreplay-sdk";

let count: u64 = 0;

/** 0x00 get() -> u64 */
function get(ctx: CallContext): void {
  ctx.out.u64(count);
}

/** 0x01 increment() -> u64 (the new count) */
function increment(ctx: CallContext): void {
  count += 1;
  ctx.out.u64(count);
}

/**
 * 0x02 upgrade(code [u8;32]) -> i32 (as u32): after this play, restart on `code`, carrying the count (SCALE u64).
 * Only a user's call (an agenda Call) may ask: another actor cannot replace this one's code.
 */
function upgrade(ctx: CallContext): void {
  const code = ctx.args.fixed(32);
  if (ctx.fromActor) {
    ctx.fail("only a user may upgrade this actor");
    return;
  }
  const carry = new Writer();
  carry.u64(count);
  const r = setCode(code, carry.finish());
  log("v1: upgrade requested with count " + count.toString() + " (set_code " + r.toString() + ")");
  ctx.out.u32(<u32>r);
}

/** 0x04 version() -> u8 */
function version(ctx: CallContext): void {
  ctx.out.u8(1);
}

const methods = new Methods().on(0x00, get).on(0x01, increment).on(0x02, upgrade).on(0x04, version);

export function main(): void {}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
