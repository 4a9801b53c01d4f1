// The fibre hooks the engine calls (src/vm/abi.ts EXPORTS, DESIGN §13). A program that spawns fibres
// re-exports them from its entry file:  export * from "coreplay-sdk/fibre-entry";
//
// Why hooks: AssemblyScript keeps GC roots on one shadow stack in memory, [__stack_pointer, __heap_base),
// and its collector scans only that range. Each fibre's frames would overlap the next fibre's, so when a
// fibre suspends the engine calls `cp_fibre_save`, which moves the live frames into a heap array the
// collector sees (reachable from a global) and empties the stack; `cp_fibre_restore` copies them back to
// the same addresses before the fibre resumes. The frames must sit where they were: compiled code
// addresses them from `__stack_pointer`, which the fibre's continuation does not hold.
import { cp_fibre_self } from "./env";
import { FibreEntry } from "./fibre";

/** A managed slot's target: the collector visits each element by the object's own runtime type. */
class Slot {}

class Frames {
  constructor(
    public sp: usize,
    public slots: StaticArray<Slot | null>,
  ) {}
}

const saved = new Map<i32, Frames>();

// Filled by `peek` for `cp_fibre_restore`, which must not hold managed values itself (see there).
let peekSp: usize = 0;
let peekData: usize = 0;
let peekBytes: usize = 0;

/** A spawned fibre's body: `entry` is the function pointer `spawn` passed. */
export function cp_fibre(entry: u32, arg: u32): void {
  changetype<FibreEntry>(<usize>entry)(arg);
  // it ended: what was kept for it goes (a fibre that traps is dropped by `cp_fibre_drop`)
  forget(cp_fibre_self());
}

// Reads the stack pointer before `keep` pushes a frame of its own: this function holds no managed value,
// so it has no shadow frame, and the range [sp, __heap_base) is exactly the suspended fibre's.
export function cp_fibre_save(id: i32): void {
  keep(id, __stack_pointer);
  __stack_pointer = __heap_base;
}

function keep(id: i32, sp: usize): void {
  const n = <i32>((__heap_base - sp) >> alignof<usize>());
  // A fibre's array is reused while its depth stays the same: suspending allocates nothing then.
  let f: Frames | null = saved.has(id) ? saved.get(id) : null;
  if (f === null || f.slots.length != n) {
    f = new Frames(sp, new StaticArray<Slot | null>(n));
    saved.set(id, f);
  }
  f.sp = sp;
  const slots = f.slots;
  // element stores go through the collector's write barrier, so an incremental mark sees them
  for (let i = 0; i < n; i++) slots[i] = changetype<Slot | null>(load<usize>(sp + (<usize>i << alignof<usize>())));
}

// Copies the frames back while this function holds no managed value (no frame of its own that the copy
// could overwrite), then moves the stack pointer below them and only then lets `forget` allocate.
export function cp_fibre_restore(id: i32): void {
  if (!peek(id)) return;
  memory.copy(peekSp, peekData, peekBytes);
  __stack_pointer = peekSp;
  // The copy is kept for the next save; emptied, so it holds nothing alive while the fibre runs.
  memory.fill(peekData, 0, peekBytes);
}

function peek(id: i32): bool {
  if (!saved.has(id)) return false;
  const f = saved.get(id);
  peekSp = f.sp;
  peekData = changetype<usize>(f.slots);
  peekBytes = <usize>f.slots.length << alignof<usize>();
  return true;
}

function forget(id: i32): void {
  saved.delete(id);
}

/** The fibre ended with an error: what was saved for it is garbage. */
export function cp_fibre_drop(id: i32): void {
  if (saved.has(id)) forget(id);
}
