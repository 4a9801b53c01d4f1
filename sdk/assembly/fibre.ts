// Fibres (DESIGN §13): several stacks over one heap. `main` is fibre 0; `spawn` starts another that
// runs from the next fibre slot of a Service. A fibre that waits costs no gas, and an actor whose fibres
// all wait is scheduled only when what they wait for arrives. Programs that spawn export the hooks of
// "coreplay-sdk/fibre-entry" (see ../README.md "Fibres").
import { cp_fibre_self, cp_fibre_spawn, cp_fibre_wait, cp_yield } from "./env";
import { Postcard, recv } from "./host";

/** A fibre's id: 0 is main; spawned fibres count up from 1 and are never reused. */
export type FibreId = i32;

/** A fibre's body: a top-level function (no closures) taking the `arg` given to {@link spawn}. */
export type FibreEntry = (arg: u32) => void;

/** `fibre_wait` kinds (src/vm/abi.ts FIBRE_WAIT). */
namespace Wait {
  export const Postcard: i32 = 1;
  export const Block: i32 = 2;
  export const Fibre: i32 = 3;
}

/** Most fibres alive at once in one actor, main included (src/vm/gas.ts MAX_FIBRES). */
export const MAX_FIBRES: i32 = 64;

/** Host result of {@link trySpawn} when MAX_FIBRES are alive. */
export const SPAWN_FULL: i32 = -3;
/** Host result of {@link trySpawn} when the program does not export the fibre hooks. */
export const SPAWN_NO_HOOKS: i32 = -6;

/**
 * Starts `entry(arg)` as a new fibre; it runs in this Service after the fibres with lower ids (or in
 * the next Service, when spawned from `call`). Returns its id, or a negative code: {@link SPAWN_FULL},
 * {@link SPAWN_NO_HOOKS}.
 *
 * @example const id = trySpawn(serveLot, lot); if (id < 0) ctx.fail("too many lots");
 */
export function trySpawn(entry: FibreEntry, arg: u32 = 0): FibreId {
  return cp_fibre_spawn(<u32>changetype<usize>(entry), arg);
}

/**
 * Starts `entry(arg)` as a new fibre and returns its id; traps when it cannot (see {@link trySpawn}).
 *
 * @example spawn(closeAt, lotId);
 */
export function spawn(entry: FibreEntry, arg: u32 = 0): FibreId {
  const id = trySpawn(entry, arg);
  if (id == SPAWN_NO_HOOKS) abort('spawn: add `export * from "coreplay-sdk/fibre-entry"` to the program');
  if (id < 0) abort("spawn: too many fibres (MAX_FIBRES)");
  return id;
}

/** The running fibre's id (0 in main), -1 in `call`. */
export function fibreId(): FibreId {
  return cp_fibre_self();
}

/** The next postcard, waiting (at no cost) until one arrives. Inside `call` the call fails with YieldInCall. */
export function awaitPostcard(): Postcard {
  let p = recv();
  while (p === null) {
    if (cp_fibre_wait(Wait.Postcard, 0) == 0) cp_yield();
    p = recv();
  }
  return changetype<Postcard>(p);
}

/** Returns in the first play whose relay block number is at least `block` (at once if it is). */
export function sleepUntil(block: u32): void {
  while (cp_fibre_wait(Wait.Block, block) == 0) cp_yield();
}

/**
 * Waits until fibre `id` has ended (normally or with an error). To learn what it computed, let it write
 * its result where the joiner reads it. Returns false when there is no such fibre (or it is this one).
 */
export function join(id: FibreId): bool {
  let r = cp_fibre_wait(Wait.Fibre, <u32>id);
  while (r == 0) {
    cp_yield();
    r = cp_fibre_wait(Wait.Fibre, <u32>id);
  }
  return r == 1;
}
