/**
 * The contract between the instrumenter (this folder) and the Wasm runtime (`../wasm-engine.ts`).
 *
 * `instrument(code, options)` turns a program's Wasm into a module that the runtime can meter, suspend,
 * snapshot and resume deterministically (DESIGN §6). The instrumented module:
 *
 * Exports
 * - `memory`: the physical memory = {@link Instrumented.reservedPages} scratch pages, then the program's
 *   logical pages: logical address a is physical address a + reservedPages * 65536. Every load and store
 *   carries that shift in its static offset, bulk operations add it to their addresses and active data
 *   segments are placed with it, so the program never sees the scratch, and an access past the logical
 *   end is past the physical end: it traps natively, exactly as in plain Wasm. `memory.size`/`memory.grow`
 *   are rewritten to act on the logical size held in `__cp_pages`; the physical size must always be
 *   reservedPages + `__cp_pages`.
 * - the program's entry points (`main`, `call`, and `payout`, `dependencies`, `_initialize` if present);
 *   a Wasm start function is removed from the start section and exported as `__cp_start`.
 * - `__cp_gas` (mut i64): gas remaining. The runtime sets it before an entry and reads it after. It is
 *   exact whenever control is in an import (the host may charge it), and re-read after each import call.
 * - `__cp_fault` (mut i32): set just before the instrumented code traps with `unreachable`:
 *   {@link FAULT}.OutOfGas or {@link FAULT}.CallDepth. The runtime resets it to 0 before each entry.
 * - `__cp_depth` (mut i32): current call depth; trap when it would exceed `maxCallDepth`.
 * - `__cp_pages` (mut i32): the logical memory size in pages (what `memory.size` returns).
 * - `__cp_g0` … `__cp_g{n-1}`: the program's own mutable globals, in index order (the image's globals).
 * - Asyncify's `asyncify_start_unwind(ptr)`, `asyncify_stop_unwind()`, `asyncify_start_rewind(ptr)`,
 *   `asyncify_stop_rewind()`, `asyncify_get_state()`; state 0 normal, 1 unwinding, 2 rewinding.
 *
 * Imports
 * - the program's own `coreplay.*` imports, unchanged; `coreplay.yield` is an Asyncify import.
 * - preemptible programs also import `coreplay_internal.preempt: () -> ()`, called (as an Asyncify
 *   import) when gas runs out at a loop header or function entry; the runtime unwinds there. After the
 *   rewind the code re-reads `__cp_gas`, so the runtime refills it before resuming.
 *
 * Scratch layout (physical byte offsets, below the logical memory)
 * - [0, asyncifyDataOffset): the dirty-page map, one byte per logical page. Every store sets byte i,
 *   right after it stores, where i is the page of its last byte; every `memory.fill`, `memory.copy` and
 *   `memory.init` sets the bytes of the pages it writes. A store that straddles pages i-1 and i marks
 *   only i, so the runtime must treat page i-1 as possibly changed whenever page i is marked. The runtime
 *   clears the map.
 * - Hoisted stores (hoist.ts): in an innermost loop without calls, a store whose address moves one way
 *   by at most a page per iteration records its address in a global instead of marking; the loop's
 *   entry records where it started. `__cp_flush()` (exported) turns every pending range into marks,
 *   charging 1024 gas per page of a range beyond its first. Hoisted loops flush at entry and
 *   `memory.grow` flushes; the runtime must call `__cp_flush()` after every entry (also one that
 *   trapped) before it reads the map.
 * - [{@link Instrumented.asyncifyDataOffset}, reservedPages * 65536): free for the runtime's Asyncify data
 *   (the 8-byte header `{ start, end }` and the unwound stack).
 *
 * Runtime duties (determinism)
 * - `__cp_depth`: set it to 0 before a `call`, an inspector or the first start of `main`; when main
 *   suspends, save its value in the image and set it back before resuming (Asyncify skips the depth
 *   bookkeeping while unwinding/rewinding, so the saved value is the suspended stack's depth).
 * - Clear the dirty map at the end of every entry and keep the Asyncify area zero outside unwinding and
 *   rewinding, so the scratch holds the same bytes in a continuous instance and in one restored from an
 *   image.
 * - Gas may end slightly negative (by at most one segment's static cost — an unrolled loop's second body is one — or one bulk operation's charge):
 *   report such an entry as having used its whole budget.
 * - Instrumentation is deterministic: the same input and options give byte-identical output, so the
 *   instrumented module may be cached by (code hash, options).
 */

export interface InstrumentOptions {
  /** Loop headers and function entries become unwind points when gas runs out (DESIGN §6). */
  preemptible: boolean;
  /** Logical memory cap in 64 KiB pages. `memory.grow` beyond it returns -1; a larger initial memory is rejected. */
  maxPages: number;
  /** Maximum call depth before a deterministic `CallDepth` fault. */
  maxCallDepth: number;
}

export const FAULT = { None: 0, OutOfGas: 1, CallDepth: 2 } as const;

export type WasmValueType = "i32" | "i64" | "f32" | "f64";

export interface Instrumented {
  wasm: Uint8Array;
  /** The program's mutable globals, exported as `__cp_g<i>`. */
  globals: Array<{ exportName: string; type: WasmValueType }>;
  /** Scratch pages below the logical memory (logical address a is physical a + reservedPages × 64 KiB). */
  reservedPages: number;
  /** Where the runtime may put Asyncify data, as an offset into the scratch area. */
  asyncifyDataOffset: number;
  /** Initial logical pages declared by the program. */
  initialPages: number;
  /** Entry points present, by ABI name. */
  entries: {
    main: true;
    call: true;
    payout: boolean;
    dependencies: boolean;
    initialize: boolean;
    start: boolean;
  };
  /** Which `coreplay.*` host functions the program imports. */
  imports: string[];
  /** Loops with hoisted stores: with none, `__cp_flush()` has nothing to do and need not be called. */
  hoistedLoops: number;
}
