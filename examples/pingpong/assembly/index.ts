// pingpong: two instances of this program call each other synchronously (`callActor`) both ways, and
// show the re-entry rule: A → B → A fails with `Reentry`. Protocol in ../README.md.
import {
  CallContext,
  CallStatus,
  Methods,
  Reader,
  Writer,
  callActor,
  input,
  isCoscheduled,
  log,
  replyDependencies,
  selfId,
  yield_,
} from "coreplay-sdk";

/** The other player (from main's args), or -1 until main has run. */
let peer: i64 = -1;
let pings: u32 = 0;
let served: u32 = 0;
let reentries: u32 = 0;
let missed: u32 = 0;

function pingBytes(n: u32): Uint8Array {
  return new Writer().u8(0x00).u32(n).finish();
}

/** 0x00 ping(n u32) -> u32 n + 1 */
function ping(ctx: CallContext): void {
  const n = ctx.args.u32();
  pings++;
  ctx.out.u32(n + 1);
}

/** Calls `target.ping(n)`; writes (status u8, value u32) — value is 0 unless status is Ok. */
function pingOther(target: u32, n: u32, out: Writer): void {
  const res = callActor(target, pingBytes(n));
  if (res.status == CallStatus.Reentry) reentries++;
  if (res.status == CallStatus.NotCoscheduled) missed++;
  if (res.ok) served++;
  out.u8(<u8>res.status).u32(res.ok ? res.reader().u32() : 0);
}

/** 0x01 serve(target u32, n u32) -> (status u8, value u32): call `target.ping(n)`. */
function serve(ctx: CallContext): void {
  const target = ctx.args.u32();
  const n = ctx.args.u32();
  pingOther(target, n, ctx.out);
}

/**
 * 0x02 bounce(target u32) -> (status u8, value u32): ask `target` to `serve` a ping back to us. We are on
 * the call stack, so target's call into us fails with Reentry; target reports (5, 0) and we relay it.
 */
function bounce(ctx: CallContext): void {
  const target = ctx.args.u32();
  const req = new Writer().u8(0x01).u32(selfId()).u32(7).finish();
  const res = callActor(target, req);
  if (!res.ok) {
    ctx.out.u8(<u8>res.status).u32(0);
    return;
  }
  ctx.out.raw(res.data);
}

/** 0x03 stats() -> (pings u32, served u32, reentries u32, missed u32, peer i64) */
function stats(ctx: CallContext): void {
  ctx.out.u32(pings).u32(served).u32(reentries).u32(missed).u64(<u64>peer);
}

const methods = new Methods()
  .type("struct Stats { pings: u32, served: u32, reentries: u32, missed: u32, peer: i64 }")
  .on(0x00, ping, "ping(n: u32) -> u32")
  .on(0x01, serve, "serve(target: u32, n: u32) -> (u8, u32)")
  .on(0x02, bounce, "bounce(target: u32) -> (u8, u32)")
  .on(0x03, stats, "stats() -> Stats");

/** args: peer u32. Each Service: ping the peer if it is co-scheduled, then yield. */
export function main(): void {
  const args = input();
  if (args.length >= 4) peer = <i64>new Reader(args).u32();
  let round: u32 = 0;
  while (true) {
    if (peer >= 0 && isCoscheduled(<u32>peer)) {
      const out = new Writer();
      pingOther(<u32>peer, round, out);
      log("pingpong: round " + round.toString() + " status " + out.finish()[0].toString());
    }
    round++;
    yield_();
  }
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}

/** Collators should co-schedule us with our peer. */
export function dependencies(now: i64): void {
  replyDependencies(peer >= 0 ? [<u32>peer] : []);
}
