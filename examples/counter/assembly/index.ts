// counter: the smallest useful actor. Protocol in ../README.md.
import { CallContext, Methods, log } from "coreplay-sdk";

let count: u64 = 0;

/** 0x00 get() -> u64 */
function get(ctx: CallContext): void {
  ctx.out.u64(count);
}

/** 0x01 increment() -> u64 (the new count) */
function increment(ctx: CallContext): void {
  count += 1;
  log("count = " + count.toString());
  ctx.out.u64(count);
}

const methods = new Methods()
  .on(0x00, get, "get() -> u64")
  .on(0x01, increment, "increment() -> u64");

/** Nothing to do in the background. */
export function main(): void {}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
