// auction: one fibre per open lot (DESIGN §13). Each lot's fibre sleeps until the lot's closing block,
// then settles it; `main` reads bids sent as postcards. Nobody writes a state machine: a lot's whole
// life is the ten lines of `runLot`. Protocol in ../README.md.
import {
  CallContext,
  Methods,
  Reader,
  Writer,
  awaitPostcard,
  input,
  log,
  now,
  send,
  sleepUntil,
  trySpawn,
} from "coreplay-sdk";
export * from "coreplay-sdk/fibre-entry";

class Lot {
  best: u64 = 0;
  bidder: string = "";
  /** An actor to tell when it wins (-1: none: a call's or an account's bid). */
  bidderActor: i64 = -1;
  bids: u32 = 0;
  closed: bool = false;
  constructor(
    public closesAt: u32,
    public reserve: u64,
  ) {}
}

const lots = new Array<Lot>();
let settled: u32 = 0;

const HEX = "0123456789abcdef";
function hex(b: Uint8Array): string {
  let s = "0x";
  for (let i = 0; i < b.length; i++) s += HEX.charAt(b[i] >> 4) + HEX.charAt(b[i] & 15);
  return s;
}

/** A lot's whole life: wait (at no cost) for its closing block, then settle it. */
function runLot(id: u32): void {
  const lot = lots[id];
  sleepUntil(lot.closesAt);
  lot.closed = true;
  settled++;
  if (lot.bids == 0) {
    log("lot " + id.toString() + " closed at block " + now().toString() + " unsold");
    return;
  }
  log("lot " + id.toString() + " sold to " + lot.bidder + " for " + lot.best.toString() + " at block " + now().toString());
  if (lot.bidderActor >= 0) send(<u32>lot.bidderActor, new Writer().u8(1).u32(id).u64(lot.best).finish());
}

/** Opens a lot closing at block `closesAt` and starts its fibre; the lot id, or an error message. */
function openLot(closesAt: u32, reserve: u64): string | null {
  if (closesAt <= now()) return "closesAt must be after the current block " + now().toString();
  const id = <u32>lots.length;
  lots.push(new Lot(closesAt, reserve));
  if (trySpawn(runLot, id) < 0) {
    lots.pop();
    return "too many open lots";
  }
  return null;
}

/** A bid; null when accepted, else why not. */
function bid(id: u32, amount: u64, bidder: string, actor: i64): string | null {
  if (id >= <u32>lots.length) return "no lot " + id.toString();
  const lot = lots[id];
  if (lot.closed || now() >= lot.closesAt) return "lot " + id.toString() + " is closed";
  if (amount < lot.reserve) return "below the reserve of " + lot.reserve.toString();
  if (amount <= lot.best) return "the best bid is " + lot.best.toString();
  lot.best = amount;
  lot.bidder = bidder;
  lot.bidderActor = actor;
  lot.bids++;
  return null;
}

/**
 * main: opens the lots given in its args (count u32, first closing block u32, spacing u32), then reads
 * postcard bids for ever: `(lot u32, amount u64)`. Waiting for a postcard costs nothing.
 */
export function main(): void {
  const args = input();
  if (args.length >= 12) {
    const r = new Reader(args);
    const count = r.u32();
    const first = r.u32();
    const spacing = r.u32();
    for (let i: u32 = 0; i < count; i++) openLot(now() + first + i * spacing, 0);
  }
  for (;;) {
    const p = awaitPostcard();
    if (p.data.length != 12) {
      log("ignored a postcard of " + p.data.length.toString() + " bytes");
      continue;
    }
    const r = new Reader(p.data);
    const id = r.u32();
    const amount = r.u64();
    const who = p.fromActor ? "actor " + p.from.toString() : hex(changetype<Uint8Array>(p.account));
    const why = bid(id, amount, who, p.from);
    log(why === null ? "postcard bid " + amount.toString() + " on lot " + id.toString() + " by " + who : "postcard bid refused: " + why);
  }
}

/** 0x00 open(closes_at: u32, reserve: u64) -> u32 */
function open(ctx: CallContext): void {
  const closesAt = ctx.args.u32();
  const reserve = ctx.args.u64();
  const why = openLot(closesAt, reserve);
  if (why !== null) ctx.fail(why);
  else ctx.out.u32(<u32>lots.length - 1);
}

/** 0x01 bid(lot: u32, amount: u64, bidder: string) -> u64 (the lot's best bid, now this one) */
function bidByCall(ctx: CallContext): void {
  const id = ctx.args.u32();
  const amount = ctx.args.u64();
  const name = ctx.args.str();
  const who = ctx.fromActor ? "actor " + ctx.caller.toString() : name;
  const why = bid(id, amount, who, ctx.fromActor ? <i64>ctx.caller : -1);
  if (why !== null) ctx.fail(why);
  else ctx.out.u64(amount);
}

/** 0x02 lot(lot: u32) -> Lot */
function lotInfo(ctx: CallContext): void {
  const id = ctx.args.u32();
  if (id >= <u32>lots.length) {
    ctx.fail("no lot " + id.toString());
    return;
  }
  const lot = lots[id];
  ctx.out.u32(lot.closesAt).u64(lot.reserve).u64(lot.best).str(lot.bidder).u32(lot.bids).bool(lot.closed);
}

/** 0x03 summary() -> (u32, u32): lots opened, lots settled */
function summary(ctx: CallContext): void {
  ctx.out.u32(<u32>lots.length).u32(settled);
}

const methods = new Methods()
  .type("struct Lot { closes_at: u32, reserve: u64, best: u64, bidder: string, bids: u32, closed: bool }")
  .on(0x00, open, "open(closes_at: u32, reserve: u64) -> u32")
  .on(0x01, bidByCall, "bid(lot: u32, amount: u64, bidder: string) -> u64")
  .on(0x02, lotInfo, "lot(lot: u32) -> Lot")
  .on(0x03, summary, "summary() -> (u32, u32)");

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
