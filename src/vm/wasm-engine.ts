/**
 * The Wasm engine (DESIGN §6): validates a program blob against the binary ABI, instruments it
 * (gas, Asyncify, dirty-page map: src/vm/instrument), compiles it once and caches it by code hash.
 *
 * @example
 * const engine = createWasmEngine();
 * const program = engine.load(blob);
 * const actor = program.instantiate(actorId(1), program.createImage(new Uint8Array()), host);
 * actor.service(1_000_000n); // { status: "yielded", gasUsed: … }
 * actor.snapshot().hash;
 */
import { type ActorId, type CodeHash, hashHex } from "../codec/ids.ts";
import {
  ABI_VERSION,
  CodecError,
  decodeExact,
  PROGRAM_MAGIC,
  ProgramBlob,
  type ProgramMetadata,
} from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { DEFAULT_MAX_PAGES, PAGE_SIZE } from "./abi.ts";
import type { ActorImage, Engine, EngineLimits, HostEnv, Program, UpgradeOutcome } from "./engine.ts";
import { ImageError, ProgramError, type ProgramErrorCode } from "./errors.ts";
import { INIT_GAS } from "./gas.ts";
import { createImage, decodeImage, decodeImageAgainst, type ImageContext, WasmImage } from "./image.ts";
import { type CompiledProgram, type InstanceSpares, WasmActorInstance } from "./instance.ts";
import { instrumentCache } from "./instrument/cache.ts";
import { InstrumentError } from "./instrument/errors.ts";
import { instrumenterDeferred, loadedInstrumenter, loadInstrumenter } from "./instrument/instrumenter.ts";
import type { Instrumented, InstrumentOptions } from "./instrument/layout.ts";
import { validateProgram } from "./validate.ts";

export interface WasmEngineOptions extends EngineLimits {
  /**
   * Instrument stores with the dirty-page map, so a commit finds changed pages without comparing all
   * of memory (bench: `image.dirty1_speedup`). Results and gas are identical either way.
   */
  trackWrites: boolean;
}

/** Defaults: 64 pages (4 MiB) of memory, call depth 2048 (in the instrumenter's frame-weight units). */
export const DEFAULT_ENGINE_OPTIONS: WasmEngineOptions = {
  maxPages: DEFAULT_MAX_PAGES,
  maxCallDepth: 2048,
  trackWrites: true,
};

// Every thread loads the instrumenter with the engine, except one that deferred it (instrumenter.ts).
if (!instrumenterDeferred()) await loadInstrumenter();

/** Compiled programs shared by every engine in this thread, keyed by code hash and options. */
const CACHE = new Map<string, WasmProgram>();
const CACHE_LIMIT = 256;

/** Instances kept per program for reuse, and the largest memory (in pages) worth keeping. */
const MAX_SPARES = 4;
const MAX_SPARE_PAGES = 256;

/** A loaded program (engine.ts `Program`). */
export class WasmProgram implements Program {
  private initImage: WasmImage | undefined;
  /** Why creation code failed, once it did: deterministic, so it is not run (up to INIT_GAS) again. */
  private initFailure: string | undefined;
  private readonly ctx: ImageContext;
  /** Released instances (ActorInstance.release), reseated by `instantiate` instead of making new ones. */
  private readonly spares: WasmActorInstance[] = [];
  private readonly sparesPort: InstanceSpares = {
    put: (instance) => {
      // listed once: an instance released twice must not serve two plays at once
      if (
        this.spares.length < MAX_SPARES &&
        instance.physicalPages <= MAX_SPARE_PAGES &&
        !this.spares.includes(instance)
      ) {
        this.spares.push(instance);
      }
    },
  };

  constructor(
    readonly codeHash: CodeHash,
    readonly metadata: ProgramMetadata,
    readonly compiled: CompiledProgram,
  ) {
    const { layout } = compiled;
    this.ctx = {
      codeHash,
      globalTypes: layout.globals.map((g) => g.type),
      maxPages: compiled.maxPages,
      minPages: layout.initialPages,
      maxContinuation: layout.reservedPages * PAGE_SIZE - layout.asyncifyDataOffset - 8,
    };
  }

  /** The instrumented module's layout (for tools and benches). */
  get layout(): Instrumented {
    return this.compiled.layout;
  }

  createImage(args: Uint8Array): WasmImage {
    if (this.initImage === undefined) {
      if (this.initFailure === undefined) {
        const inst = new WasmActorInstance(this.compiled, 0 as ActorId, undefined, undefined);
        const r = inst.initialise(this.codeHash, INIT_GAS);
        if (r.ok) this.initImage = inst.snapshot();
        else this.initFailure = r.reason;
      }
      if (this.initFailure !== undefined) {
        throw new ProgramError("Program initialisation failed", {
          code: "INIT_FAILED",
          details: this.initFailure,
        });
      }
    }
    const base = this.initImage as WasmImage;
    return args.byteLength === 0 ? base : createImage({ ...base, args: args.slice() }, base, []);
  }

  decodeImage(bytes: Uint8Array): WasmImage {
    return decodeImage(bytes, this.ctx);
  }

  decodeImageAgainst(base: ActorImage, bytes: Uint8Array): WasmImage {
    return decodeImageAgainst(this.own(base), bytes, this.ctx);
  }

  instantiate(actor: ActorId, image: ActorImage, host: HostEnv): WasmActorInstance {
    const img = this.own(image);
    // A spare whose memory is no larger than this image needs (physical = logical + reserved pages).
    const fits = img.pageCount + this.compiled.layout.reservedPages;
    // Best a spare that still holds this very image (the actor's last play ended there): nothing to load.
    let at = this.spares.findIndex((s) => s.holds(img));
    if (at < 0) at = this.spares.findIndex((s) => s.physicalPages <= fits);
    if (at >= 0) {
      const spare = this.spares.splice(at, 1)[0] as WasmActorInstance;
      spare.reseat(actor, img, host);
      return spare;
    }
    return new WasmActorInstance(this.compiled, actor, img, host, this.sparesPort);
  }

  upgradeImage(actor: ActorId, prev: CodeHash, carry: Uint8Array, gas: bigint): UpgradeOutcome {
    let base: WasmImage;
    try {
      base = this.createImage(new Uint8Array());
    } catch (e) {
      // code uploaded before creation code was run at upload (docs/abi.md §7) may still fail here
      if (!(e instanceof ProgramError)) throw e;
      return { ok: false, reason: `${e.code}: ${e.details ?? e.shortMessage}`, gasUsed: 0n };
    }
    const input = new Uint8Array(32 + carry.byteLength);
    input.set(prev, 0);
    input.set(carry, 32);
    const inst = new WasmActorInstance(this.compiled, actor, base, undefined);
    const r = inst.upgrade(input, gas);
    if (!r.ok) return r;
    return { ok: true, image: inst.snapshot(), gasUsed: r.gasUsed };
  }

  private own(image: ActorImage): WasmImage {
    if (!(image instanceof WasmImage)) {
      throw new ImageError("Not a Wasm image", {
        code: "WRONG_PROGRAM",
        details: "image from another engine",
      });
    }
    if (image.codeHash !== this.codeHash && !sameBytes(image.codeHash, this.codeHash)) {
      throw new ImageError("Image of another program", {
        code: "WRONG_PROGRAM",
        details: `image of ${hashHex(image.codeHash)}, program ${hashHex(this.codeHash)}`,
      });
    }
    return image;
  }
}

/** Byte equality without copying (`Buffer.from(u8)` copies; a view does not). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The loaded instrumenter, or the typed error of a thread that deferred loading it (instrumenter.ts). */
function instrument(code: Uint8Array, opts: InstrumentOptions): Instrumented {
  const run = loadedInstrumenter();
  if (run === undefined) {
    throw new ProgramError("Instrumenter not loaded", {
      code: "INSTRUMENTER_NOT_LOADED",
      details: "this thread deferred loading the instrumenter and the program is not in the instrument cache",
      hint: "await loadInstrumenter() (src/vm/instrument/instrumenter.ts), then load the program again",
    });
  }
  return run(code, opts);
}

/** {@link instrument} through this thread's instrument cache, if one is installed (instrument/cache.ts). */
function instrumentCached(code: Uint8Array, codeHash: CodeHash, opts: InstrumentOptions): Instrumented {
  const cache = instrumentCache();
  if (cache === undefined) return instrument(code, opts);
  // The blob's hash covers the code and its metadata, preemptible included.
  const key = `${hashHex(codeHash).slice(2)}-${opts.preemptible ? "p" : "c"}-${opts.maxPages}-${opts.maxCallDepth}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const out = instrument(code, opts);
  cache.set(key, out);
  return out;
}

function decodeBlob(blob: Uint8Array): ProgramBlob {
  if (blob.byteLength < 4 || !PROGRAM_MAGIC.every((b, i) => blob[i] === b)) {
    const isWasm = blob[0] === 0 && blob[1] === 0x61 && blob[2] === 0x73 && blob[3] === 0x6d;
    throw new ProgramError("Not a program blob", {
      code: "BAD_MAGIC",
      details: isWasm
        ? "this is a bare Wasm module, not a program blob"
        : `first bytes 0x${Buffer.from(blob.subarray(0, 4)).toString("hex")}, expected 0x0063706c`,
    });
  }
  try {
    return decodeExact(ProgramBlob, blob, "program blob");
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    throw new ProgramError("Malformed program blob", { code: "BAD_BLOB", details: e.details, cause: e });
  }
}

/** The Wasm {@link Engine}: `load` returns the concrete {@link WasmProgram}. */
export interface WasmEngine extends Engine {
  readonly format: "wasm";
  readonly options: WasmEngineOptions;
  load(blob: Uint8Array): WasmProgram;
}

/**
 * Creates the Wasm engine. Options are part of consensus where they change results (`maxPages`,
 * `maxCallDepth`); `trackWrites` only changes speed.
 *
 * @example const engine = createWasmEngine({ maxPages: 256 });
 */
export function createWasmEngine(options: Partial<WasmEngineOptions> = {}): WasmEngine {
  const opts: WasmEngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  const key = `${opts.maxPages}:${opts.maxCallDepth}:${opts.trackWrites ? 1 : 0}`;
  return {
    format: "wasm",
    options: opts,
    load(blob: Uint8Array): WasmProgram {
      const codeHash = blake2b256(blob) as Uint8Array as CodeHash;
      const cacheKey = `${hashHex(codeHash)}:${key}`;
      const hit = CACHE.get(cacheKey);
      if (hit !== undefined) return hit;

      const decoded = decodeBlob(blob);
      if (decoded.abiVersion !== ABI_VERSION) {
        throw new ProgramError("Unsupported ABI version", {
          code: "BAD_ABI_VERSION",
          details: `blob says ${decoded.abiVersion}, this engine speaks ${ABI_VERSION}`,
        });
      }
      if (decoded.format.tag !== "Wasm") {
        throw new ProgramError("Not a Wasm program", {
          code: "WRONG_FORMAT",
          details: `format ${decoded.format.tag}`,
        });
      }
      const code = decoded.code;
      validateProgram(code, opts.maxPages);
      let layout: Instrumented;
      try {
        layout = instrumentCached(code, codeHash, {
          preemptible: decoded.metadata.preemptible,
          maxPages: opts.maxPages,
          maxCallDepth: opts.maxCallDepth,
        });
      } catch (e) {
        if (!(e instanceof InstrumentError)) throw e;
        const code = (e.code === "BAD_MEMORY" ? "BAD_MEMORY" : e.code) as ProgramErrorCode;
        throw new ProgramError(e.shortMessage, { code, details: e.details, cause: e });
      }
      let module: WebAssembly.Module;
      try {
        module = new WebAssembly.Module(layout.wasm as Uint8Array<ArrayBuffer>);
      } catch (cause) {
        throw new ProgramError("Instrumented program does not compile", {
          code: "INVALID_WASM",
          details: String(cause),
          cause,
        });
      }
      const program = new WasmProgram(codeHash, decoded.metadata, {
        module,
        layout,
        maxPages: opts.maxPages,
        trackWrites: opts.trackWrites,
        preemptible: decoded.metadata.preemptible,
      });
      if (CACHE.size >= CACHE_LIMIT) CACHE.delete(CACHE.keys().next().value!);
      CACHE.set(cacheKey, program);
      return program;
    },
  };
}
