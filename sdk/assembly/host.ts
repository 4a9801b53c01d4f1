// Typed bindings for every host function of DESIGN §5 / src/vm/abi.ts.
import {
  cp_balance,
  cp_call_actor,
  cp_coscheduled,
  cp_gas_left,
  cp_input,
  cp_log,
  cp_lookup,
  cp_now,
  cp_recv,
  cp_release,
  cp_reply,
  cp_request,
  cp_result,
  cp_self_id,
  cp_send,
  cp_set_code,
  cp_store,
  cp_transfer,
  cp_yield,
} from "./env";
import { Reader } from "./codec";
import { U128 } from "./u128";

/** `call_actor` statuses (src/vm/abi.ts CALL_STATUS). */
export namespace CallStatus {
  export const Ok: i32 = 0;
  export const Actor: i32 = 1;
  export const OutOfGas: i32 = 2;
  export const Trap: i32 = 3;
  export const YieldInCall: i32 = 4;
  export const Reentry: i32 = 5;
  export const NotCoscheduled: i32 = 6;
}

/** Negative host results (src/vm/abi.ts HOST_ERROR). */
export namespace HostError {
  export const None: i32 = -1;
  export const TooLarge: i32 = -2;
  export const Full: i32 = -3;
  export const UnknownActor: i32 = -4;
  export const Insufficient: i32 = -5;
  export const NotFound: i32 = -6;
}

/** Default threshold of {@link checkpoint}: yield when fewer gas units than this are left. */
export const CHECKPOINT_GAS: i64 = 2_000_000;

function readResult(total: i32): Uint8Array {
  const out = new Uint8Array(total);
  if (total > 0) cp_result(out.dataStart, total);
  return out;
}

/** The current entry's input: `main`'s args, or a `call`'s data. */
export function input(): Uint8Array {
  const total = cp_input(0, 0);
  const out = new Uint8Array(total);
  if (total > 0) cp_input(out.dataStart, total);
  return out;
}

/** Sets the output of the current `call` / `dependencies` (the last one wins). */
export function reply(bytes: Uint8Array): void {
  cp_reply(bytes.dataStart, bytes.length);
}

/** Suspends `main` until the next Service (inside `call` the call fails with `YieldInCall`). */
export function yield_(): void {
  cp_yield();
}

/** Gas left for the current entry. */
export function gasLeft(): i64 {
  return cp_gas_left();
}

/**
 * Yields only when the gas left is below `threshold`: the cheap way to keep a long loop progressing.
 * Returns true when it yielded.
 *
 * @example
 * for (let i = 0; i < n; i++) { work(i); checkpoint(); }
 */
export function checkpoint(threshold: i64 = CHECKPOINT_GAS): bool {
  if (cp_gas_left() >= threshold) return false;
  cp_yield();
  return true;
}

/** This actor's id. */
export function selfId(): u32 {
  return <u32>cp_self_id();
}

/** The relay block number of this play. */
export function now(): u32 {
  return <u32>cp_now();
}

/** The actors co-scheduled with this one in this play, ascending. */
export function coscheduled(): u32[] {
  const n = cp_coscheduled();
  const raw = readResult(n * 4);
  const out = new Array<u32>(n);
  for (let i = 0; i < n; i++) out[i] = load<u32>(raw.dataStart + <usize>(i * 4));
  return out;
}

/** True when `id` is co-scheduled with this actor now (so `callActor(id, ..)` can succeed). */
export function isCoscheduled(id: u32): bool {
  const all = coscheduled();
  for (let i = 0; i < all.length; i++) if (all[i] == id) return true;
  return false;
}

/** What a synchronous call to another actor returned. */
export class CallResult {
  constructor(
    /** A {@link CallStatus}: `Ok`, or why it failed. */
    public status: i32,
    /** The reply on `Ok`, the callee's error bytes on `Actor`, else empty. */
    public data: Uint8Array,
  ) {}

  get ok(): bool {
    return this.status == CallStatus.Ok;
  }

  /** A reader over the reply. */
  reader(): Reader {
    return new Reader(this.data);
  }

  /** The callee's error message (UTF-8) when status is `Actor`, else the status name. */
  errorText(): string {
    if (this.status == CallStatus.Ok) return "";
    if (this.status == CallStatus.Actor) return String.UTF8.decode(this.data.buffer);
    if (this.status == CallStatus.OutOfGas) return "OutOfGas";
    if (this.status == CallStatus.Trap) return "Trap";
    if (this.status == CallStatus.YieldInCall) return "YieldInCall";
    if (this.status == CallStatus.Reentry) return "Reentry";
    if (this.status == CallStatus.NotCoscheduled) return "NotCoscheduled";
    return "Unknown";
  }
}

/** Calls a co-scheduled actor's `call` synchronously (origin = this actor). */
export function callActor(id: u32, data: Uint8Array): CallResult {
  const status = cp_call_actor(id, data.dataStart, data.length);
  const total = cp_result(0, 0);
  return new CallResult(status, readResult(total));
}

/** Sends a postcard, delivered after this play canonicalises. Returns 0 or a {@link HostError}. */
export function send(to: u32, data: Uint8Array): i32 {
  return cp_send(to, data.dataStart, data.length);
}

/** A received postcard. `from` is an actor id, or -1 for a signed account (then `account` is set). */
export class Postcard {
  constructor(
    public from: i64,
    public account: Uint8Array | null,
    public to: u32,
    public data: Uint8Array,
  ) {}

  get fromActor(): bool {
    return this.from >= 0;
  }
}

/** The next postcard from this actor's pigeonhole, or null when it is empty. */
export function recv(): Postcard | null {
  const n = cp_recv();
  if (n < 0) return null;
  const r = new Reader(readResult(n));
  // SCALE Message { from: Origin { Actor(u32) | Account([u8; 32]) }, to: u32, data: Vec<u8> }
  const tag = r.u8();
  let from: i64 = -1;
  let account: Uint8Array | null = null;
  if (tag == 0) from = <i64>r.u32();
  else if (tag == 1) account = r.fixed(32);
  else abort("recv: unknown origin");
  const to = r.u32();
  const data = r.bytes();
  return new Postcard(from, account, to, data);
}

function checkHash(hash: Uint8Array): void {
  if (hash.length != 32) abort("a hash is 32 bytes");
}

/** A disk preimage supplied in this play's witness, or null (then `request` it). */
export function lookup(hash: Uint8Array): Uint8Array | null {
  checkHash(hash);
  const n = cp_lookup(hash.dataStart);
  if (n < 0) return null;
  return readResult(n);
}

/** Asks collators to include this preimage in a later play's witness. */
export function request(hash: Uint8Array): i32 {
  checkHash(hash);
  return cp_request(hash.dataStart);
}

/** `store(bytes)`: stores a preimage on the disk-chain (exported as `store` from the SDK's index); returns its 32-byte blake2b-256 hash, or null on error. */
export function diskStore(bytes: Uint8Array): Uint8Array | null {
  const hash = new Uint8Array(32);
  const code = cp_store(bytes.dataStart, bytes.length, hash.dataStart);
  return code == 0 ? hash : null;
}

/** Drops this actor's reference to a preimage. Returns 0 or a {@link HostError}. */
export function release(hash: Uint8Array): i32 {
  checkHash(hash);
  return cp_release(hash.dataStart);
}

/** This actor's free balance. */
export function balance(): U128 {
  const buf = new Uint8Array(16);
  cp_balance(buf.dataStart);
  return new U128(load<u64>(buf.dataStart), load<u64>(buf.dataStart + 8));
}

/** Moves `amount` of this actor's balance to another actor. Returns 0 or a {@link HostError}. */
export function transfer(to: u32, amount: U128): i32 {
  const buf = new Uint8Array(16);
  store<u64>(buf.dataStart, amount.lo);
  store<u64>(buf.dataStart + 8, amount.hi);
  return cp_transfer(to, buf.dataStart);
}

/** Largest `carry` of {@link setCode} (src/pov/limits.ts MAX_CARRY). */
export const MAX_CARRY: i32 = 65536;

/**
 * After this PoV, restarts this actor on the program `hash` (DESIGN §10): a fresh instance of it, whose
 * exported `upgrade()` gets `carry` (see {@link upgradeInput}); then its `main` starts. Everything not
 * carried is gone. Returns 0 or `HostError.TooLarge` (carry above {@link MAX_CARRY}). A later call in
 * the same play replaces this one; a failing entry takes it back.
 */
export function setCode(hash: Uint8Array, carry: Uint8Array = new Uint8Array(0)): i32 {
  checkHash(hash);
  return cp_set_code(hash.dataStart, carry.dataStart, carry.length);
}

/** What an `upgrade()` entry is given: the code hash the actor ran before, and the bytes it carried. */
export class UpgradeInput {
  constructor(
    public prev: Uint8Array,
    public carry: Uint8Array,
  ) {}

  /** A SCALE reader over the carried bytes. */
  reader(): Reader {
    return new Reader(this.carry);
  }
}

/** Inside `upgrade()`: its input, split (prev code hash ‖ carry, docs/abi.md §8). */
export function upgradeInput(): UpgradeInput {
  const all = input();
  if (all.length < 32) abort("upgrade input is shorter than a code hash");
  return new UpgradeInput(all.slice(0, 32), all.slice(32));
}

/** A line in the node's logs and the dashboard. */
export function log(text: string): void {
  const b = String.UTF8.encode(text);
  cp_log(changetype<usize>(b), b.byteLength);
}
