/**
 * The PVM engine (DESIGN §12): loads a program blob of format `Riscv` whose code is a Graypaper standard
 * program (layout.ts), checks it against the PVM actor ABI (docs/abi.md, "PVM actors"), decodes it once
 * and caches it by code hash. Behind the same {@link Engine} interface as the Wasm engine.
 */
import { type ActorId, type CodeHash, hashHex } from "../../codec/ids.ts";
import {
  ABI_VERSION,
  CodecError,
  decodeExact,
  ProgramBlob,
  type ProgramMetadata,
} from "../../codec/types.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";
import { DEFAULT_MAX_PAGES, PAGE_SIZE } from "../abi.ts";
import type { ActorImage, Engine, EngineLimits, HostEnv, Program } from "../engine.ts";
import { ImageError, ProgramError } from "../errors.ts";
import { ENTRY, HOST_CALLS } from "./abi.ts";
import { decodeBlob } from "./blob.ts";
import { type DecodedCode, decodeCode } from "./decode.ts";
import { PvmError } from "./errors.ts";
import { runFast } from "./fastpath.ts";
import { decodePvmImage, decodePvmImageAgainst, PvmImage } from "./image.ts";
import { PvmActorInstance, type PvmCode } from "./instance.ts";
import { run } from "./interpreter.ts";
import {
  ARGS_START,
  decodeStandard,
  MAX_INPUT,
  mappedBytes,
  memoryRuns,
  type PageRun,
  RO_START,
  rwStart,
  STACK_TOP,
  type StandardProgram,
} from "./layout.ts";
import { HALT_ADDRESS, type PvmMachine, REGISTERS } from "./machine.ts";
import { Access, PVM_PAGE } from "./memory.ts";

const CACHE = new Map<string, PvmProgram>();
const CACHE_LIMIT = 256;

export class PvmProgram implements Program {
  readonly format = "riscv";
  private readonly pvm: PvmCode;

  constructor(
    readonly codeHash: CodeHash,
    readonly metadata: ProgramMetadata,
    readonly standard: StandardProgram,
    readonly code: DecodedCode,
    runner: (code: DecodedCode, m: PvmMachine) => void = run,
  ) {
    this.pvm = { code, run: runner };
  }

  /** A new actor: data sections and args in memory, main pending at jump-table entry 0 (Graypaper A.7). */
  createImage(args: Uint8Array): PvmImage {
    if (args.byteLength > MAX_INPUT)
      throw new ProgramError("Arguments too large", {
        code: "INIT_FAILED",
        details: `${args.byteLength} bytes`,
      });
    const pages = new Map<number, Uint8Array>();
    const put = (start: number, bytes: Uint8Array): void => {
      for (let off = 0; off < bytes.length; off += PVM_PAGE) {
        const page = new Uint8Array(PVM_PAGE);
        page.set(bytes.subarray(off, off + PVM_PAGE));
        if (page.some((b) => b !== 0)) pages.set((start + off) / PVM_PAGE, page);
      }
    };
    put(RO_START, this.standard.roData);
    put(rwStart(this.standard), this.standard.rwData);
    put(ARGS_START, args);
    const regs = new BigUint64Array(REGISTERS);
    regs[0] = BigInt(HALT_ADDRESS);
    regs[1] = BigInt(STACK_TOP);
    regs[7] = BigInt(ARGS_START);
    regs[8] = BigInt(args.byteLength);
    return new PvmImage({
      codeHash: this.codeHash,
      regs,
      pc: this.code.jumpTable[ENTRY.main]!,
      status: "pending",
      args: args.slice(),
      runs: memoryRuns(this.standard, args.byteLength),
      pages,
    });
  }

  decodeImage(bytes: Uint8Array): PvmImage {
    return this.checked(decodePvmImage(bytes, this.codeHash));
  }

  decodeImageAgainst(base: ActorImage, bytes: Uint8Array): PvmImage {
    return this.checked(decodePvmImageAgainst(this.own(base), bytes, this.codeHash));
  }

  /** An image's memory map is the program's layout for its args, and its status agrees with its args. */
  private checked(img: PvmImage): PvmImage {
    const same = (a: readonly PageRun[], b: readonly PageRun[]): boolean =>
      a.length === b.length &&
      a.every((r, i) => r.first === b[i]!.first && r.count === b[i]!.count && r.access === b[i]!.access);
    const done = img.status === "ended" || img.status === "failed";
    // An ended or failed main drops its args but keeps their pages mapped: any args length then.
    const last = img.runs[img.runs.length - 1];
    const argsRun = last !== undefined && last.first === ARGS_START / PVM_PAGE ? last : undefined;
    const ok = done
      ? img.args.byteLength === 0 &&
        same(argsRun ? img.runs.slice(0, -1) : img.runs, memoryRuns(this.standard, 0)) &&
        (argsRun === undefined || (argsRun.access === Access.Read && argsRun.count * PVM_PAGE <= MAX_INPUT))
      : same(img.runs, memoryRuns(this.standard, img.args.byteLength));
    if (!ok)
      throw new ImageError("Corrupt actor image", {
        code: "CORRUPT",
        details: "memory map or args inconsistent with the program's layout and main's status",
      });
    return img;
  }

  /**
   * The image of an actor that `set_code` moves to this program (DESIGN §10; the contract of the
   * `setcode` branch's `Program.upgradeImage`): a fresh image with `main` pending, then the `upgrade`
   * entry (jump-table index 4) if present, with input `prev ++ carry` and at most `gas`.
   */
  upgradeImage(
    actor: ActorId,
    prev: CodeHash,
    carry: Uint8Array,
    gas: bigint,
  ): { ok: true; image: ActorImage; gasUsed: bigint } | { ok: false; reason: string; gasUsed: bigint } {
    const inst = new PvmActorInstance(this.pvm, actor, this.createImage(new Uint8Array()), undefined);
    const input = new Uint8Array(prev.byteLength + carry.byteLength);
    input.set(prev);
    input.set(carry, prev.byteLength);
    const r = inst.upgrade(input, gas);
    return r.ok ? { ok: true, image: inst.snapshot(), gasUsed: r.gasUsed } : r;
  }

  instantiate(actor: ActorId, image: ActorImage, host: HostEnv): PvmActorInstance {
    return new PvmActorInstance(this.pvm, actor, this.own(image), host);
  }

  private own(image: ActorImage): PvmImage {
    if (!(image instanceof PvmImage))
      throw new ImageError("Not a PVM image", {
        code: "WRONG_PROGRAM",
        details: "image from another engine",
      });
    if (!Buffer.from(image.codeHash).equals(Buffer.from(this.codeHash)))
      throw new ImageError("Image of another program", {
        code: "WRONG_PROGRAM",
        details: `image of ${hashHex(image.codeHash)}, program ${hashHex(this.codeHash)}`,
      });
    return image;
  }
}

export interface PvmEngine extends Engine {
  readonly format: "riscv";
  load(blob: Uint8Array): PvmProgram;
}

function refuse(
  code: "BAD_BLOB" | "MISSING_EXPORT" | "UNKNOWN_IMPORT" | "MEMORY_TOO_LARGE",
  shortMessage: string,
  details: string,
  cause?: unknown,
): ProgramError {
  const hint =
    code === "BAD_BLOB"
      ? "build PVM actors with `coreplay build foo.pvmasm` (docs/abi.md, 'PVM actors')"
      : undefined;
  return new ProgramError(shortMessage, { code, details, cause, ...(hint ? { hint } : {}) });
}

/** Checks a PVM program against the actor ABI: entries main and call, known host calls, the memory cap. */
function check(code: DecodedCode, standard: StandardProgram, maxPages: number): void {
  if (code.jumpTable.length < 2)
    throw refuse(
      "MISSING_EXPORT",
      "PVM program lacks entry points",
      `jump table has ${code.jumpTable.length} entries; main (0) and call (1) are required`,
    );
  for (let pc = 0; pc < code.length; pc++)
    if (code.op[pc] === 10 && Number(code.immX[pc]! & 0xffffffffn) >= HOST_CALLS.length)
      throw refuse(
        "UNKNOWN_IMPORT",
        "Unknown host call",
        `ecalli ${code.immX[pc]} at pc ${pc}; host calls are 0..${HOST_CALLS.length - 1}`,
      );
  const cap = maxPages * PAGE_SIZE;
  if (mappedBytes(standard) > cap)
    throw refuse(
      "MEMORY_TOO_LARGE",
      "PVM program maps too much memory",
      `${mappedBytes(standard)} bytes, cap ${cap}`,
    );
}

/**
 * Creates the PVM engine. It runs the fast path (fastpath.ts), held equal to the interpreter by
 * test/vm/pvm/fastpath.test.ts; `runner: "interp"` runs the interpreter itself (same results, slower).
 */
export function createPvmEngine(
  options: Partial<EngineLimits> & { runner?: "fast" | "interp" } = {},
): PvmEngine {
  const runnerName = options.runner ?? "fast";
  const runner = runnerName === "fast" ? runFast : run;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  return {
    format: "riscv",
    load(blob: Uint8Array): PvmProgram {
      const codeHash = blake2b256(blob) as Uint8Array as CodeHash;
      const key = `${hashHex(codeHash)}:${maxPages}:${runnerName}`;
      const hit = CACHE.get(key);
      if (hit !== undefined) return hit;
      let decoded: ProgramBlob;
      try {
        decoded = decodeExact(ProgramBlob, blob, "program blob");
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
        throw refuse("BAD_BLOB", "Malformed program blob", e.details ?? e.message, e);
      }
      if (decoded.abiVersion !== ABI_VERSION)
        throw new ProgramError("Unsupported ABI version", {
          code: "BAD_ABI_VERSION",
          details: `blob says ${decoded.abiVersion}`,
        });
      if (decoded.format.tag !== "Riscv")
        throw new ProgramError("Not a PVM program", {
          code: "WRONG_FORMAT",
          details: `format ${decoded.format.tag}`,
          hint: "this engine runs RISC-V (PVM) programs only",
        });
      let standard: StandardProgram;
      let code: DecodedCode;
      try {
        standard = decodeStandard(decoded.code);
        code = decodeCode(decodeBlob(standard.code));
      } catch (e) {
        if (!(e instanceof PvmError)) throw e;
        throw refuse("BAD_BLOB", e.shortMessage, e.details ?? "", e);
      }
      check(code, standard, maxPages);
      const program = new PvmProgram(codeHash, decoded.metadata, standard, code, runner);
      if (CACHE.size >= CACHE_LIMIT) CACHE.delete(CACHE.keys().next().value!);
      CACHE.set(key, program);
      return program;
    },
  };
}
