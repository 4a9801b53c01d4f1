// A client of the mutex example: holds a named lock across several plays (blocks), then releases it.
// Build it with `coreplay build examples/mutex/assembly/client.ts`. Protocol in ../README.md.
import {
  CallContext,
  Methods,
  Reader,
  Writer,
  callActor,
  input,
  isCoscheduled,
  log,
  replyDependencies,
  yield_,
} from "coreplay-sdk";

let mutex: i64 = -1;
let name: string = "";
let holdFor: u32 = 0;
/** 0 waiting to lock, 1 holding, 2 done. */
let phase: u8 = 0;
let heldPlays: u32 = 0;
let attempts: u32 = 0;

function mutexCall(method: u8, lockName: string): Reader | null {
  const res = callActor(<u32>mutex, new Writer().u8(method).str(lockName).finish());
  if (!res.ok) {
    log("client: mutex call failed: " + res.errorText());
    return null;
  }
  return res.reader();
}

/** args: (mutex u32, name str, holdFor u32). Each Service: try to lock, hold for `holdFor` plays, unlock. */
export function main(): void {
  const r = new Reader(input());
  mutex = <i64>r.u32();
  name = r.str();
  holdFor = r.u32();
  while (phase < 2) {
    if (isCoscheduled(<u32>mutex)) {
      if (phase == 0) {
        attempts++;
        const got = mutexCall(0x01, name);
        if (got !== null && got.bool()) {
          phase = 1;
          log("client: locked " + name);
        }
      } else if (++heldPlays >= holdFor) {
        if (mutexCall(0x02, name) !== null) {
          phase = 2;
          log("client: unlocked " + name + " after " + heldPlays.toString() + " plays");
        }
      }
    }
    if (phase < 2) yield_();
  }
}

/** 0x00 state() -> (phase u8, heldPlays u32, attempts u32) */
function state(ctx: CallContext): void {
  ctx.out.u8(phase).u32(heldPlays).u32(attempts);
}

/** 0x01 lockVia(name str) -> (status u8, mutex reply bytes): call mutex.lock(name) on our behalf. */
function lockVia(ctx: CallContext): void {
  const lockName = ctx.args.str();
  const res = callActor(<u32>mutex, new Writer().u8(0x00).str(lockName).finish());
  ctx.out.u8(<u8>res.status).bytes(res.data);
}

const methods = new Methods().on(0x00, state).on(0x01, lockVia);

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}

export function dependencies(now: i64): void {
  replyDependencies(mutex >= 0 ? [<u32>mutex] : []);
}
