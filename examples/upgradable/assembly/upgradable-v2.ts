// upgradable v2: v1's counter, taken over through `upgrade()`, plus `add`. Protocol in ../README.md.
import { CallContext, Methods, Writer, log, setCode, upgradeInput } from "coreplay-sdk";

let count: u64 = 0;
let upgrades: u32 = 0;

/**
 * Runs once when an actor moves to this code (DESIGN §10): the count v1 carried is the count here. The
 * carry is v1's SCALE u64; anything else traps, and the upgrade is refused (the actor stays on v1).
 */
export function upgrade(): void {
  const u = upgradeInput();
  const r = u.reader();
  count = r.u64();
  if (!r.done) abort("upgrade: unexpected carry");
  upgrades = 1;
}

/** 0x00 get() -> u64 */
function get(ctx: CallContext): void {
  ctx.out.u64(count);
}

/** 0x01 increment() -> u64 */
function increment(ctx: CallContext): void {
  count += 1;
  ctx.out.u64(count);
}

/** 0x02 upgrade(code [u8;32]) -> i32 (as u32): as in v1 (the count is carried on). */
function upgradeTo(ctx: CallContext): void {
  const code = ctx.args.fixed(32);
  if (ctx.fromActor) {
    ctx.fail("only a user may upgrade this actor");
    return;
  }
  const carry = new Writer();
  carry.u64(count);
  ctx.out.u32(<u32>setCode(code, carry.finish()));
}

/** 0x03 add(n u64) -> u64 (the new count): new in v2 */
function add(ctx: CallContext): void {
  const n = ctx.args.u64();
  count += n;
  log("v2: count = " + count.toString());
  ctx.out.u64(count);
}

/** 0x04 version() -> u8; 0x05 upgrades() -> u32 (1 when this code was reached by set_code) */
function version(ctx: CallContext): void {
  ctx.out.u8(2);
}
function upgraded(ctx: CallContext): void {
  ctx.out.u32(upgrades);
}

const methods = new Methods()
  .on(0x00, get)
  .on(0x01, increment)
  .on(0x02, upgradeTo)
  .on(0x03, add)
  .on(0x04, version)
  .on(0x05, upgraded);

export function main(): void {}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
