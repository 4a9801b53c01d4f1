/**
 * The engine contract (DESIGN §3, §5, §6). `pov` drives engines only through these types, so a RISC-V
 * engine can be added beside {@link WasmEngine} without touching the protocol.
 *
 * Everything here is deterministic: no clock, no randomness, no I/O, no unmetered work.
 */

import type { ActorId, CodeHash, Hash, StateHash } from "../codec/ids.ts";
import type { CallOutput, Message, ProgramMetadata } from "../codec/types.ts";
import type { Wake } from "./fibre/table.ts";

/**
 * What the executing PoV offers an actor: the host side of docs/abi.md. Implemented by `pov`.
 * Effects (send, store, transfer, set_code) are journaled by the implementer, who rolls them back when
 * the entry that made them fails.
 */
export interface HostEnv {
  readonly self: ActorId;
  /** Relay block number of this play. */
  readonly now: number;
  coscheduled(): readonly ActorId[];
  /** Runs `callee.call(origin = self, data)` synchronously with at most `gasLimit`. */
  callActor(callee: ActorId, data: Uint8Array, gasLimit: bigint): { output: CallOutput; gasUsed: bigint };
  /** 0 or a negative HOST_ERROR code. */
  send(to: ActorId, data: Uint8Array): number;
  recv(): Message | undefined;
  lookup(hash: Hash): Uint8Array | undefined;
  request(hash: Hash): number;
  store(data: Uint8Array): { code: number; hash?: Hash };
  release(hash: Hash): number;
  balance(): bigint;
  transfer(to: ActorId, amount: bigint): number;
  /** After this PoV: restart on code `hash`, `carry` (a copy) handed to its `upgrade` (DESIGN §10). */
  setCode(hash: CodeHash, carry: Uint8Array): number;
  log(line: string): void;
  /**
   * Whether `recv()` would return a postcard now (a fibre waiting for one can run, DESIGN §13). Absent:
   * never, so such a fibre waits.
   */
  hasMail?(): boolean;
  /**
   * A point in the effect journal, and undoing everything since one: a fibre that fails inside a Service
   * takes back its own effects, not those of the fibres that ran before it in the same step. Absent: the
   * engine cannot, and a Service with several fibres reports a failure only for the whole step.
   */
  mark?(): number;
  rollback?(mark: number): void;
}

/** Where `main` stands. */
export type MainStatus = "pending" | "suspended" | "ended" | "failed";

/** One resume of `main` (one `Service` step). */
export interface ServiceOutcome {
  /**
   * - `yielded`: main called `yield()`; the image holds the continuation.
   * - `returned`: main finished now; later Services succeed doing nothing.
   * - `idle`: main had already ended (or failed) before; nothing ran.
   * - `preempted`: gas ran out in a preemptible program; the image holds the continuation.
   * - `out-of-gas`: gas ran out in a cooperative program; the image is as before this step.
   * - `trapped`: main trapped; the image is as before this step, with status `failed`.
   * - `waiting`: what ran now waits for a postcard, a block number or another fibre (DESIGN §13).
   */
  status: "yielded" | "returned" | "idle" | "preempted" | "out-of-gas" | "trapped" | "waiting";
  gasUsed: bigint;
  /** For `trapped`: what happened, for logs only (never part of consensus data). */
  reason?: string;
  /**
   * With fibres (DESIGN §13): what each fibre that ran in this step did, in the order they ran. The
   * step's `status` is then the first fibre's alone (main only) or a summary: `trapped`/`out-of-gas`
   * only when no fibre's run was kept, else `preempted` when gas ran out in a preemptible fibre,
   * `yielded` when some fibre wants the next step at once, `returned` otherwise.
   */
  fibres?: FibreRun[];
}

/** One fibre's run inside a Service step. */
export interface FibreRun {
  fibre: number;
  /** `waiting`: it suspended on a postcard, a block or another fibre. */
  status: "yielded" | "waiting" | "returned" | "preempted" | "out-of-gas" | "trapped";
  gasUsed: bigint;
  /** For `trapped`: what happened, for logs only. */
  reason?: string;
}

export interface CallOutcome {
  /** `Result<Vec<u8>, CallError>`; on any error the image is as before the call. */
  output: CallOutput;
  gasUsed: bigint;
}

/** A live actor: an instantiated program with its image loaded. Single-threaded, synchronous. */
export interface ActorInstance {
  readonly actor: ActorId;
  service(gas: bigint): ServiceOutcome;
  call(origin: ActorId | null, input: Uint8Array, gas: bigint): CallOutcome;
  /** Inspector: `payout(now)`, run on a throw-away copy; 0 when not exported or failing. */
  payout(now: number, gas: bigint): bigint;
  /** Inspector: `dependencies(now)`, run on a throw-away copy; [] when not exported or failing. */
  dependencies(now: number, gas: bigint): ActorId[];
  /** The current image. Incremental: only pages changed since the last snapshot are re-hashed. */
  snapshot(): ActorImage;
  /** The memory in use, in 64 KiB pages. */
  readonly pages: number;
  readonly status: MainStatus;
  /**
   * Hands the instance back to its program, which may give it (memory and all) to a later
   * `instantiate` with another image instead of making a new one. The caller must not use it again.
   */
  release?(): void;
}

/** The actor image (DESIGN §5): memory pages, mutable globals, main's continuation and status. */
export interface ActorImage {
  readonly hash: StateHash;
  readonly pageCount: number;
  readonly status: MainStatus;
  /** Canonical full encoding (what a Slab's `pre` carries). */
  encode(): Uint8Array;
  /** Encoding of this image as pages changed against `base` plus the rest (a Slab's `post`). */
  encodeDelta(base: ActorImage): Uint8Array;
  /**
   * When the actor wants a Service next (DESIGN §13), read from the image alone so that every node
   * agrees. Absent (an engine without fibres): ready while main is pending or suspended.
   */
  wake?(): Wake;
}

/** A validated, instrumented program, cached by code hash. */
export interface Program {
  readonly codeHash: CodeHash;
  /** Which engine runs it (absent: Wasm, the first engine). */
  readonly format?: "wasm" | "riscv";
  readonly metadata: ProgramMetadata;
  /** The image of a new actor: start section / `_initialize` run, `main(args)` pending. */
  createImage(args: Uint8Array): ActorImage;
  /** Decode a full image (a slab's `pre`); throws ImageError if corrupt or of another program. */
  decodeImage(bytes: Uint8Array): ActorImage;
  /** Decode a slab's `post`: a full image or a delta against `base`. */
  decodeImageAgainst(base: ActorImage, bytes: Uint8Array): ActorImage;
  instantiate(actor: ActorId, image: ActorImage, host: HostEnv): ActorInstance;
  /**
   * DESIGN §10: the image of an actor moving to this program: a fresh instance (data segments, start
   * function, `_initialize`), then `upgrade()` if exported, with input `prev ++ carry` and at most `gas`;
   * `main` pending. A failure (creation code or `upgrade` trapped, ran out of gas, used an import other
   * than input/result/gas_left/self_id) is a value: the caller keeps the actor where it was.
   */
  upgradeImage(actor: ActorId, prev: CodeHash, carry: Uint8Array, gas: bigint): UpgradeOutcome;
}

/** What {@link Program.upgradeImage} did. */
export type UpgradeOutcome =
  | { ok: true; image: ActorImage; gasUsed: bigint }
  | { ok: false; reason: string; gasUsed: bigint };

export interface EngineLimits {
  /** Memory cap per actor in 64 KiB pages (default 64 = 4 MiB, so a PoV holds an image before and after). */
  maxPages: number;
  /** Maximum call depth inside one entry (deterministic stack overflow). */
  maxCallDepth: number;
}

export interface Engine {
  /** `wasm+riscv`: both engines, chosen per blob by its header (src/vm/engines.ts). */
  readonly format: "wasm" | "riscv" | "wasm+riscv";
  /** Validate and instrument a program blob (docs/abi.md). Throws ProgramError. Cached by code hash. */
  load(blob: Uint8Array): Program;
}

/**
 * A host for entries that may use no host function (the inspectors `payout` and `dependencies`, DESIGN
 * §5): the engine traps any use before it reaches these; a direct call throws.
 *
 * @example program.instantiate(actor, image, noHostEnv(actor, now)).dependencies(now, gas)
 */
export function noHostEnv(self: ActorId, now = 0): HostEnv {
  const deny = (): never => {
    throw new Error("host functions are not available to inspectors");
  };
  return {
    self,
    now,
    coscheduled: deny,
    callActor: deny,
    send: deny,
    recv: deny,
    lookup: deny,
    request: deny,
    store: deny,
    release: deny,
    balance: deny,
    transfer: deny,
    setCode: deny,
    log: deny,
  };
}
