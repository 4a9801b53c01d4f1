/**
 * A PVM machine's whole state (DESIGN §12): 13 × 64-bit registers, pc, gas, memory, and how the last run
 * stopped. This is exactly what an image stores, which is why a PVM stops (and resumes) anywhere.
 */
import { PvmMemory } from "./memory.ts";

/**
 * How a run stopped: `halt` (jump to the halt address), `panic` (trap, invalid instruction or jump),
 * `fault` (page fault at {@link PvmMachine.faultAddress}), `oog` (out of gas before the instruction at
 * pc), `host` (`ecalli` {@link PvmMachine.hostCall}; pc is past it).
 */
export type PvmStatus = "halt" | "panic" | "fault" | "oog" | "host";

export const REGISTERS = 13;
/** `djump` to this address halts (Graypaper: 2^32 − 2^16). */
export const HALT_ADDRESS = 0xffff0000;

export class PvmMachine {
  readonly regs = new BigUint64Array(REGISTERS);
  pc = 0;
  gas = 0n;
  memory: PvmMemory;
  status: PvmStatus = "halt";
  faultAddress = 0;
  hostCall = 0;
  /** Instructions executed by the last run (for benchmarks; not part of the state). */
  executed = 0;

  constructor(memory: PvmMemory = new PvmMemory()) {
    this.memory = memory;
  }
}
