// primes: a long computation in `main` that yields every few thousand candidates, so it runs across
// dozens of plays; `call` reports progress. Protocol in ../README.md.
import { CallContext, Methods, Reader, input, log, yield_ } from "coreplay-sdk";

let bound: u32 = 100_000;
let step: u32 = 2_000;
/** Every candidate below `next` has been checked. */
let next: u32 = 2;
let count: u32 = 0;
let largest: u32 = 0;
let sum: u64 = 0;
let done: bool = false;
/** Primes up to sqrt(bound): the divisors. Lives on the heap, so it crosses snapshots with the GC. */
const small = new Array<u32>();

function isPrime(n: u32): bool {
  for (let i = 0; i < small.length; i++) {
    const p = unchecked(small[i]);
    if (p * p > n) return true;
    if (n % p == 0) return false;
  }
  return true;
}

export function main(): void {
  const args = input();
  if (args.length > 0) {
    const r = new Reader(args);
    bound = r.u32();
    step = r.u32();
    if (step == 0) step = 1;
  }
  log("primes: searching below " + bound.toString());
  let sinceYield: u32 = 0;
  while (next < bound) {
    const n = next;
    if (isPrime(n)) {
      count++;
      largest = n;
      sum += n;
      if (<u64>n * n < <u64>bound) small.push(n);
    }
    next = n + 1;
    if (++sinceYield == step) {
      sinceYield = 0;
      yield_();
    }
  }
  done = true;
  log("primes: " + count.toString() + " primes below " + bound.toString() + ", largest " + largest.toString());
}

/** 0x00 progress() -> (checked u32, bound u32, count u32, largest u32, sum u64, done bool) */
function progress(ctx: CallContext): void {
  ctx.out.u32(next).u32(bound).u32(count).u32(largest).u64(sum).bool(done);
}

const methods = new Methods()
  .type("struct Progress { checked: u32, bound: u32, count: u32, largest: u32, sum: u64, done: bool }")
  .on(0x00, progress, "progress() -> Progress");

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}

/** Inspector: pays the collator 1 unit per play while there is work left, nothing once done. */
export function payout(now: i64): i64 {
  return done ? 0 : 1;
}
