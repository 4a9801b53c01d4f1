/**
 * A live PVM actor (DESIGN §12): the entries of docs/abi.md ("PVM actors") on the interpreter. Host
 * functions are `ecalli` numbers bound by the same code as Wasm imports (src/vm/host.ts), arguments in
 * ω7–ω9, result in ω7. The whole machine state is the image, so gas running out in `main` preempts it
 * exactly where it was. Deterministic; effects of a failed entry are rolled back here and by the host.
 */
import type { ActorId } from "../../codec/ids.ts";
import type { CallError, CallOutput } from "../../codec/types.ts";
import { HOST_ERROR } from "../abi.ts";
import type { ActorInstance, CallOutcome, HostEnv, MainStatus, ServiceOutcome } from "../engine.ts";
import { hostCost } from "../gas.ts";
import { createHostImports, type EntryKind, HostAbort, type HostRuntime } from "../host.ts";
import { callerDepth } from "../nesting.ts";
import { ENTRY, HOST_CALLS } from "./abi.ts";
import type { DecodedCode } from "./decode.ts";
import { PvmImage } from "./image.ts";
import { STACK_TOP } from "./layout.ts";
import { HALT_ADDRESS, PvmMachine, REGISTERS } from "./machine.ts";
import { PVM_PAGE } from "./memory.ts";

const EMPTY = new Uint8Array(0);
/** Per 4 KiB page changed by an entry: the Wasm engine's 4096 per 64 KiB page, pro rata. */
export const PVM_PAGE_DIRTY_GAS = 256n;
const ZERO = new Uint8Array(PVM_PAGE);

type Failure = "OutOfGas" | "Trap" | "YieldInCall";
/** How an entry ended: the machine stopped (halt, yield, out of gas) or it failed. */
type Stop = { kind: "halt" | "yield" | "oog" } | { kind: "fail"; failure: Failure; reason: string };

/** What an instance needs from its program. */
export interface PvmCode {
  readonly code: DecodedCode;
  /** Runs the machine until it stops (the interpreter, or the fast path tested against it). */
  readonly run: (code: DecodedCode, m: PvmMachine) => void;
}

export class PvmActorInstance implements ActorInstance, HostRuntime {
  kind: EntryKind = "init";
  input: Uint8Array = EMPTY;
  reply: Uint8Array = EMPTY;
  resultBuffer: Uint8Array = EMPTY;
  private busy = false;
  private committed: PvmImage;
  private readonly m = new PvmMachine();
  private readonly bindings: Record<string, (...args: number[]) => unknown>;

  constructor(
    private readonly program: PvmCode,
    public actor: ActorId,
    image: PvmImage,
    public host: HostEnv | undefined,
  ) {
    this.committed = image;
    for (const r of image.runs) this.m.memory.setAccess(r.first * PVM_PAGE, r.count * PVM_PAGE, r.access);
    this.m.memory.reset(image.pages);
    this.bindings = createHostImports(this).coreplay as unknown as Record<
      string,
      (...args: number[]) => unknown
    >;
  }

  get pages(): number {
    return this.committed.pageCount;
  }

  get status(): MainStatus {
    return this.committed.status;
  }

  snapshot(): PvmImage {
    return this.committed;
  }

  // HostRuntime.
  /** The PVM has no fibres yet (docs/decisions.md "Fibres"): main is the only one. */
  get fibre(): number {
    return this.kind === "main" ? 0 : -1;
  }

  spawn(): number {
    return HOST_ERROR.NotFound;
  }

  armWait(): number {
    return HOST_ERROR.NotFound;
  }

  charge(gas: bigint): void {
    if (this.m.gas < gas) {
      this.m.gas = 0n;
      throw new HostAbort("OutOfGas", "out of gas in a host function");
    }
    this.m.gas -= gas;
  }

  gasLeft(): bigint {
    return this.m.gas < 0n ? 0n : this.m.gas;
  }

  /** A PVM entry has no native call stack; it counts as one frame above its caller's depth. */
  depth(): number {
    return callerDepth() + 1;
  }

  read(ptr: number, len: number): Uint8Array {
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (!this.m.memory.accessible(p, n, false))
      throw new HostAbort("Trap", `host read of ${n} bytes at ${p}: not mapped`);
    return this.m.memory.read(p, n);
  }

  write(ptr: number, bytes: Uint8Array): void {
    const p = ptr >>> 0;
    if (!this.m.memory.accessible(p, bytes.byteLength, true))
      throw new HostAbort("Trap", `host write of ${bytes.byteLength} bytes at ${p}: not writable`);
    this.m.memory.write(p, bytes);
  }

  suspend(): void {
    // `yield` is handled by {@link exec} (an ecalli stops the machine on its own); never reached.
    throw new HostAbort("Trap", "suspend outside an ecalli");
  }

  /** Runs the machine from `pc` with `regs` until it halts, yields, runs out of gas or fails. */
  private exec(kind: EntryKind, input: Uint8Array, pc: number, regs: ArrayLike<bigint>, gas: bigint): Stop {
    const m = this.m;
    this.busy = true;
    this.kind = kind;
    this.input = input;
    this.reply = EMPTY;
    this.resultBuffer = EMPTY;
    m.regs.set(regs);
    m.pc = pc;
    m.gas = gas < 0n ? 0n : gas;
    try {
      for (;;) {
        this.program.run(this.program.code, m);
        switch (m.status) {
          case "halt":
            return { kind: "halt" };
          case "oog":
            return { kind: "oog" };
          case "panic":
            return { kind: "fail", failure: "Trap", reason: `panic at pc ${m.pc}` };
          case "fault":
            return {
              kind: "fail",
              failure: "Trap",
              reason: `page fault at 0x${m.faultAddress.toString(16)} (pc ${m.pc})`,
            };
        }
        const name = HOST_CALLS[m.hostCall];
        if (name === undefined)
          return { kind: "fail", failure: "Trap", reason: `unknown ecalli ${m.hostCall}` };
        if (name === "yield") {
          this.charge(hostCost("yield"));
          if (kind === "main") return { kind: "yield" };
          if (kind === "call") return { kind: "fail", failure: "YieldInCall", reason: "yield inside call" };
          return { kind: "fail", failure: "Trap", reason: `yield in ${kind}` };
        }
        const r = m.regs;
        const arg = (i: number): number => Number(BigInt.asIntN(32, r[i]!));
        const out = this.bindings[name]!(arg(7), arg(8), arg(9));
        if (typeof out === "bigint") r[7] = BigInt.asUintN(64, out);
        else if (typeof out === "number") r[7] = BigInt.asUintN(64, BigInt(out));
      }
    } catch (e) {
      if (!(e instanceof HostAbort)) {
        this.rollback();
        throw e;
      }
      return { kind: "fail", failure: e.kind, reason: e.message };
    } finally {
      this.busy = false;
      this.kind = "init";
      this.input = EMPTY;
    }
  }

  /** Pages whose content differs from the committed image; the others go back to sharing its buffers. */
  private changedPages(): number[] {
    const mem = this.m.memory;
    const base = this.committed.pages;
    const out: number[] = [];
    for (const p of [...mem.dirty].sort((a, b) => a - b)) {
      const now = mem.pages.get(p)!;
      const was = base.get(p);
      if (Buffer.from(now).equals(was ?? ZERO)) {
        if (was === undefined) mem.pages.delete(p);
        else mem.pages.set(p, was);
        continue;
      }
      out.push(p);
    }
    return out;
  }

  private commit(fields: {
    regs: ArrayLike<bigint>;
    pc: number;
    status: MainStatus;
    args: Uint8Array;
  }): void {
    const mem = this.m.memory;
    for (const p of mem.dirty) {
      const page = mem.pages.get(p);
      if (page !== undefined && Buffer.from(page).equals(ZERO)) mem.pages.delete(p);
    }
    mem.clearDirty();
    const regs = new BigUint64Array(REGISTERS);
    regs.set(fields.regs);
    this.committed = new PvmImage({
      codeHash: this.committed.codeHash,
      runs: this.committed.runs,
      pages: new Map(mem.pages),
      regs,
      pc: fields.pc,
      status: fields.status,
      args: fields.args,
    });
  }

  private rollback(): void {
    this.m.memory.reset(this.committed.pages);
  }

  service(gas: bigint): ServiceOutcome {
    const img = this.committed;
    if (img.status === "ended" || img.status === "failed") return { status: "idle", gasUsed: 0n };
    if (this.busy) return { status: "trapped", gasUsed: 0n, reason: "re-entered while running" };
    const stop = this.exec("main", img.args, img.pc, img.regs, gas);
    if (stop.kind === "fail") {
      this.rollback();
      if (stop.failure === "OutOfGas") return { status: "out-of-gas", gasUsed: gas };
      this.committed = new PvmImage({ ...img, status: "failed", args: EMPTY });
      return { status: "trapped", gasUsed: gas - this.gasLeft(), reason: stop.reason };
    }
    const changed = this.changedPages();
    let left = this.gasLeft() - BigInt(changed.length) * PVM_PAGE_DIRTY_GAS;
    // Every PVM main is preemptible: its pages are paid with what is left, never failing the step
    // (which would only repeat it, and fail it again, on every later Service).
    if (left < 0n) left = 0n;
    const ended = stop.kind === "halt";
    this.commit({
      regs: this.m.regs,
      pc: this.m.pc,
      status: ended ? "ended" : "suspended",
      args: ended ? EMPTY : img.args,
    });
    return {
      status: ended ? "returned" : stop.kind === "yield" ? "yielded" : "preempted",
      gasUsed: gas - left,
    };
  }

  /** Registers of a `call` or inspector entry: the halt address, a stack below main's, one argument. */
  private entryRegs(arg: bigint): BigUint64Array {
    const regs = new BigUint64Array(REGISTERS);
    regs[0] = BigInt(HALT_ADDRESS);
    // Below a suspended main's frames (RISC-V has no red zone), else at the stack's top.
    regs[1] = this.committed.status === "suspended" ? this.committed.regs[1]! : BigInt(STACK_TOP);
    regs[7] = BigInt.asUintN(64, arg);
    return regs;
  }

  call(origin: ActorId | null, input: Uint8Array, gas: bigint): CallOutcome {
    const fail = (error: CallError, gasUsed: bigint): CallOutcome => ({
      output: { success: false, value: error },
      gasUsed,
    });
    if (this.busy) return fail({ tag: "Reentry", value: undefined }, 0n);
    const jt = this.program.code.jumpTable;
    const regs = this.entryRegs(origin === null ? -1n : BigInt(origin));
    regs[8] = BigInt(input.byteLength);
    const stop = this.exec("call", input, jt[ENTRY.call]!, regs, gas);
    const used = (): bigint => gas - this.gasLeft();
    if (stop.kind === "oog") {
      this.rollback();
      return fail({ tag: "OutOfGas", value: undefined }, gas);
    }
    if (stop.kind === "fail") {
      this.rollback();
      if (stop.failure === "OutOfGas") return fail({ tag: "OutOfGas", value: undefined }, gas);
      return fail({ tag: stop.failure, value: undefined } as CallError, used());
    }
    const code = this.m.regs[7]!;
    const reply = this.reply;
    if (code !== 0n) {
      this.rollback();
      return fail(code === 1n ? { tag: "Actor", value: reply } : { tag: "Trap", value: undefined }, used());
    }
    const changed = this.changedPages();
    const left = this.gasLeft() - BigInt(changed.length) * PVM_PAGE_DIRTY_GAS;
    if (left < 0n) {
      this.rollback();
      return fail({ tag: "OutOfGas", value: undefined }, gas);
    }
    const img = this.committed;
    this.commit({ regs: img.regs, pc: img.pc, status: img.status, args: img.args });
    const output: CallOutput = { success: true, value: reply };
    return { output, gasUsed: gas - left };
  }

  /** Runs inspector `index` on a throw-away copy; undefined when absent or failing. */
  private inspect(index: number, now: number, gas: bigint): { r7: bigint; reply: Uint8Array } | undefined {
    const jt = this.program.code.jumpTable;
    if (this.busy || index >= jt.length) return undefined;
    const stop = this.exec("inspect", EMPTY, jt[index]!, this.entryRegs(BigInt(now)), gas);
    const out = stop.kind === "halt" ? { r7: this.m.regs[7]!, reply: this.reply } : undefined;
    this.rollback();
    return out;
  }

  /**
   * Runs `upgrade` (jump-table entry 4) on a fresh image with `input` (DESIGN §10): pure host calls
   * only; on success its memory is kept and `main` stays pending. Throws nothing: failure is a value.
   */
  upgrade(
    input: Uint8Array,
    gas: bigint,
  ): { ok: true; gasUsed: bigint } | { ok: false; reason: string; gasUsed: bigint } {
    const jt = this.program.code.jumpTable;
    if (jt.length <= ENTRY.upgrade) return { ok: true, gasUsed: 0n };
    const stop = this.exec("inspect", input, jt[ENTRY.upgrade]!, this.entryRegs(0n), gas);
    const used = gas - this.gasLeft();
    if (stop.kind !== "halt") {
      this.rollback();
      const reason =
        stop.kind === "fail" ? stop.reason : stop.kind === "oog" ? "out of gas" : "yield in upgrade";
      return { ok: false, reason: `upgrade failed: ${reason}`, gasUsed: stop.kind === "oog" ? gas : used };
    }
    const img = this.committed;
    this.changedPages();
    this.commit({ regs: img.regs, pc: img.pc, status: img.status, args: img.args });
    return { ok: true, gasUsed: used };
  }

  payout(now: number, gas: bigint): bigint {
    return this.inspect(ENTRY.payout, now, gas)?.r7 ?? 0n;
  }

  dependencies(now: number, gas: bigint): ActorId[] {
    const reply = this.inspect(ENTRY.dependencies, now, gas)?.reply;
    if (reply === undefined || reply.byteLength % 4 !== 0) return [];
    const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    const ids: ActorId[] = [];
    for (let i = 0; i < reply.byteLength; i += 4) ids.push(view.getUint32(i, true) as ActorId);
    return ids;
  }
}
