/**
 * `buildProgram`: AssemblyScript actor source → program blob + code hash (what `coreplay build` does).
 * Nothing is instrumented here: that happens at upload (DESIGN §6).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import asc from "assemblyscript/asc";
import type { CodeHash } from "../codec/ids.ts";
import type { ProgramMetadata } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type ActorInterface, InterfaceError, interfaceFromSource } from "../iface/index.ts";
import { wrapProgram } from "./blob.ts";
import { checkAbi } from "./check.ts";
import { type CompileOptions, compileActor, DEFAULT_RUNTIME } from "./compile.ts";
import { BuildError, type Diagnostic } from "./errors.ts";
import { assemblePvm, PVMASM_BUILD, readPvmAsm, wrapPvmProgram } from "./pvm.ts";

export { unwrapProgram, wrapProgram } from "./blob.ts";
export { checkAbi } from "./check.ts";
export { compileActor, DEFAULT_RUNTIME, SDK_ASSEMBLY_DIR } from "./compile.ts";
export { BuildError, type Diagnostic } from "./errors.ts";

export interface BuildOptions extends CompileOptions {
  /**
   * Preemption (DESIGN §6), recorded in the metadata and applied by the instrumenter at upload. Default
   * `true`: gas running out in `main` suspends it at a loop back-edge or call and the next Service goes
   * on. `false` opts in to cooperative code (a little faster; `main` must `yield` in time or its Service
   * fails out of gas).
   */
  preemptible?: boolean;
  /** Program name in the metadata; default: the project folder's name. */
  name?: string;
}

export interface BuiltProgram {
  /** The program blob (what `coreplay build` writes to a .cpl file). */
  blob: Uint8Array;
  /** blake2b-256 of the blob. */
  codeHash: CodeHash;
  /** The code inside the blob: Wasm, or a PVM standard program for `.pvmasm`. */
  wasm: Uint8Array;
  metadata: ProgramMetadata;
  /** The entry file that was compiled. */
  entry: string;
  /** The interface the source declares (also in `metadata.interface` as JSON). */
  interface: ActorInterface | undefined;
  diagnostics: Diagnostic[];
}

/**
 * Resolves an entry: a `.ts` file as is, a folder as `<folder>/assembly/index.ts`.
 * Throws {@link BuildError} when neither exists.
 */
export async function resolveEntry(entryOrFolder: string): Promise<{ entry: string; name: string }> {
  const abs = path.resolve(entryOrFolder);
  const info = await stat(abs).catch(() => undefined);
  if (info?.isDirectory()) {
    const entry = path.join(abs, "assembly", "index.ts");
    // A PVM actor's folder holds one .pvmasm file instead (src/build/pvm.ts).
    const asm = (await readdir(abs)).filter((f) => f.endsWith(".pvmasm"));
    if (asm.length === 1 && !(await stat(entry).catch(() => undefined))?.isFile())
      return { entry: path.join(abs, asm[0]!), name: path.basename(abs) };
    if (!(await stat(entry).catch(() => undefined))?.isFile()) {
      throw new BuildError(`No actor entry in ${entryOrFolder}`, {
        code: "BUILD_NO_ENTRY",
        details: `expected ${entry}`,
        hint: "pass an entry .ts file, or a folder with assembly/index.ts (`coreplay new` makes one)",
      });
    }
    return { entry, name: path.basename(abs) };
  }
  if (info?.isFile()) {
    const dir = path.dirname(abs);
    // <project>/assembly/index.ts is named after <project>; any other file after itself.
    const name =
      path.basename(dir) === "assembly"
        ? path.basename(path.dirname(dir))
        : path.basename(abs).replace(/\.(ts|pvmasm)$/, "");
    return { entry: abs, name };
  }
  throw new BuildError(`No such file or folder: ${entryOrFolder}`, {
    code: "BUILD_NO_ENTRY",
    hint: "pass an entry .ts file or an actor project folder",
  });
}

/**
 * Compiles an actor (an entry file, or a folder meaning `<folder>/assembly/index.ts`) and wraps it in a
 * program blob. Throws {@link BuildError} listing the diagnostics when it does not compile.
 *
 * @example
 * const { blob, codeHash } = await buildProgram("examples/counter"); // preemptible; { preemptible: false } for cooperative
 */
export async function buildProgram(entryOrFolder: string, options: BuildOptions = {}): Promise<BuiltProgram> {
  const { entry, name } = await resolveEntry(entryOrFolder);
  if (entry.endsWith(".pvmasm")) {
    const code = assemblePvm(await readPvmAsm(entry), entry);
    // PVM assembly declares no interface yet: such actors are called with hex.
    const metadata: ProgramMetadata = {
      name: options.name ?? name,
      preemptible: true,
      build: PVMASM_BUILD,
      interface: "",
    };
    const blob = wrapPvmProgram(code, metadata);
    return {
      blob,
      codeHash: blake2b256(blob) as unknown as CodeHash,
      wasm: code,
      metadata,
      entry,
      interface: undefined,
      diagnostics: [],
    };
  }
  const { wasm, diagnostics } = await compileActor(entry, options);
  checkAbi(wasm, entryOrFolder);
  const iface = await declaredInterface(entry);
  const metadata: ProgramMetadata = {
    name: options.name ?? name,
    preemptible: options.preemptible ?? true,
    build: `assemblyscript ${asc.version} runtime=${options.runtime ?? DEFAULT_RUNTIME}${options.optimize === false ? "" : " -O3"}`,
    interface: iface === undefined ? "" : JSON.stringify(iface),
  };
  const blob = wrapProgram(wasm, metadata);
  return {
    blob,
    codeHash: blake2b256(blob) as unknown as CodeHash,
    wasm,
    metadata,
    entry,
    diagnostics,
    interface: iface,
  };
}

/** The interface the entry file declares (`Methods.on(…, "sig")`, `.type("…")`), if any. */
async function declaredInterface(entry: string): Promise<ActorInterface | undefined> {
  try {
    return interfaceFromSource(await readFile(entry, "utf8"));
  } catch (e) {
    if (!(e instanceof InterfaceError)) throw e;
    throw new BuildError(`Bad interface declaration in ${entry}`, {
      code: "BUILD_BAD_INTERFACE",
      details: `${e.shortMessage}: ${e.details ?? ""}`,
      hint: e.hint,
      cause: e,
    });
  }
}
