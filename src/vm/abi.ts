/**
 * The binary actor ABI, version 1 (docs/abi.md is the prose; this file is the source of truth).
 *
 * A program is one WebAssembly module. It exports `memory`, `main`, `call` and optionally `payout`,
 * `dependencies` and `_initialize`; it may import only the functions below, all from module `coreplay`.
 * Bytes cross the boundary as (pointer, length) into the actor's own memory, so no allocator contract
 * is needed: input is pulled with `input`, variable-size host results with `result`, and a call's
 * output is handed back with `reply`.
 */

export const ABI_MODULE = "coreplay";

/** Wasm value types in signatures. */
type V = "i32" | "i64";

/** Every host function: name → [params, results]. Unknown imports are rejected at upload. */
export const HOST_FUNCTIONS = {
  /** input(ptr, len) -> total: copy min(len, total) bytes of the current entry's input to ptr. */
  input: [["i32", "i32"], ["i32"]],
  /** reply(ptr, len): set the output of the current `call` / `dependencies` (last one wins). */
  reply: [["i32", "i32"], []],
  /** result(ptr, len) -> total: copy min(len, total) bytes of the last host call's result buffer. */
  result: [["i32", "i32"], ["i32"]],
  /** yield(): suspend `main` until the next Service. Inside `call`: the call fails with YieldInCall. */
  yield: [[], []],
  /** gas_left() -> gas remaining for the current entry. */
  gas_left: [[], ["i64"]],
  /** self_id() -> this actor's id (u32). */
  self_id: [[], ["i32"]],
  /** now() -> the relay block number of this play (u32). */
  now: [[], ["i32"]],
  /** coscheduled() -> count; result buffer = the co-scheduled actor ids as u32 LE, ascending. */
  coscheduled: [[], ["i32"]],
  /** call_actor(id, ptr, len) -> status (CALL_STATUS); result buffer = reply or the actor's error bytes. */
  call_actor: [["i32", "i32", "i32"], ["i32"]],
  /** send(to, ptr, len) -> 0 | HOST_ERROR: post a postcard, delivered after this PoV canonicalises. */
  send: [["i32", "i32", "i32"], ["i32"]],
  /** recv() -> length | -1 when empty; result buffer = SCALE `Message { from, to, data }`. */
  recv: [[], ["i32"]],
  /** lookup(hash_ptr) -> length | -1 when not in the witness; result buffer = the preimage. */
  lookup: [["i32"], ["i32"]],
  /** request(hash_ptr) -> 0: ask collators to include this preimage in a later play's witness. */
  request: [["i32"], ["i32"]],
  /** store(ptr, len, hash_out_ptr) -> 0 | HOST_ERROR: store a preimage; writes its 32-byte hash. */
  store: [["i32", "i32", "i32"], ["i32"]],
  /** release(hash_ptr) -> 0 | HOST_ERROR: drop this actor's reference to a preimage. */
  release: [["i32"], ["i32"]],
  /** balance(out_ptr): write this actor's free balance as u128 LE (16 bytes). */
  balance: [["i32"], []],
  /** transfer(to, amount_ptr) -> 0 | HOST_ERROR: move a u128 LE amount to another actor. */
  transfer: [["i32", "i32"], ["i32"]],
  /**
   * set_code(hash_ptr, carry_ptr, carry_len) -> 0 | HOST_ERROR: after this PoV, restart this actor on
   * the code `hash`, handing `carry` to its `upgrade` entry (DESIGN §10).
   */
  set_code: [["i32", "i32", "i32"], ["i32"]],
  /** log(ptr, len): a UTF-8 line for the node's logs and the dashboard. */
  log: [["i32", "i32"], []],
  /**
   * fibre_spawn(entry, arg) -> id | HOST_ERROR (DESIGN §13): a new fibre that will run `cp_fibre(entry,
   * arg)` from the next fibre slot of a Service (this one's, when spawned from a fibre). Full when
   * MAX_FIBRES are alive, NotFound when the program does not export `cp_fibre`.
   */
  fibre_spawn: [["i32", "i32"], ["i32"]],
  /**
   * fibre_wait(kind, value) -> 1 | 0 | HOST_ERROR: what the next `yield` of this fibre waits for
   * (FIBRE_WAIT: a postcard, block `value`, fibre `value` ending). 1: it already holds (do not yield);
   * 0: armed; NotFound: no such fibre to wait for (or itself).
   */
  fibre_wait: [["i32", "i32"], ["i32"]],
  /** fibre_self() -> the running fibre's id (0 for main), -1 outside a fibre (`call`). */
  fibre_self: [[], ["i32"]],
} as const satisfies Record<string, readonly [readonly V[], readonly V[]]>;

export type HostFunctionName = keyof typeof HOST_FUNCTIONS;

/** Export signatures. `call(origin)`: origin is -1 for none (agenda `Call`), else the caller's id. */
export const EXPORTS = {
  main: { params: [], results: [], required: true },
  call: { params: ["i64"], results: ["i32"], required: true },
  payout: { params: ["i64"], results: ["i64"], required: false },
  dependencies: { params: ["i64"], results: [], required: false },
  _initialize: { params: [], results: [], required: false },
  /** Run once after `set_code` moved the actor to this program; input = prev code hash ++ carry. */
  upgrade: { params: [], results: [], required: false },
  /** A spawned fibre's body (DESIGN §13): the engine calls it with the `entry, arg` given to `fibre_spawn`. */
  cp_fibre: { params: ["i32", "i32"], results: [], required: false },
  /**
   * Run by the engine right after fibre `id` suspended (and before another fibre runs): the language
   * runtime moves what it keeps on a shared stack in memory (AssemblyScript's shadow stack) aside.
   */
  cp_fibre_save: { params: ["i32"], results: [], required: false },
  /** Run by the engine just before fibre `id` resumes: puts back what `cp_fibre_save(id)` moved. */
  cp_fibre_restore: { params: ["i32"], results: [], required: false },
  /** Run by the engine after fibre `id` ended with an error: what `cp_fibre_save(id)` kept is garbage. */
  cp_fibre_drop: { params: ["i32"], results: [], required: false },
} as const;

/** `fibre_wait` kinds: what a suspended fibre waits for (DESIGN §13). */
export const FIBRE_WAIT = { Postcard: 1, Block: 2, Fibre: 3 } as const;

/** `call` returns 0 for Ok(reply) and 1 for Err(Actor(reply)). */
export const CALL_RETURN = { Ok: 0, Err: 1 } as const;

/** `call_actor` status: 0 = Ok, otherwise 1 + the index of the `CallError` variant. */
export const CALL_STATUS = {
  Ok: 0,
  Actor: 1,
  OutOfGas: 2,
  Trap: 3,
  YieldInCall: 4,
  Reentry: 5,
  NotCoscheduled: 6,
} as const;

/** Negative results of host functions. */
export const HOST_ERROR = {
  /** recv/lookup: nothing there. */
  None: -1,
  /** A message, preimage or buffer above its bound. */
  TooLarge: -2,
  /** The recipient's pigeonhole (or this play's outbox) is full. */
  Full: -3,
  /** No such actor. */
  UnknownActor: -4,
  /** Not enough balance or storage reservation. */
  Insufficient: -5,
  /** No such preimage or code. */
  NotFound: -6,
} as const;

export const PAGE_SIZE = 65_536;
/**
 * Memory cap per actor: 64 pages = 4 MiB (issue 13 §3). Consensus: it must stay consistent with the
 * PoV size bound (pov/limits.ts `MAX_POV_SIZE` = 10 MiB), since a slab's `pre` is the whole image and its
 * `post` delta may rewrite every page: 2 × 4 MiB of slab plus 2 MiB for agenda, witness and encoding.
 * `memory.grow` past it returns -1 (a typed failure the program sees), never a PoV no block can hold.
 */
export const DEFAULT_MAX_PAGES = 64;
