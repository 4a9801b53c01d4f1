/**
 * Compiles an AssemblyScript actor to Wasm in memory with the `assemblyscript` npm package (no temp files).
 * The SDK is resolved as the package `coreplay-sdk` from this repository's `sdk/`, so actors anywhere
 * (examples, `coreplay new` projects) import it the same way.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { BuildError, type Diagnostic } from "./errors.ts";

/** The SDK's AssemblyScript sources (sdk/assembly). */
export const SDK_ASSEMBLY_DIR = fileURLToPath(new URL("../../sdk/assembly/", import.meta.url));

/** Globals that replace AssemblyScript's `env.abort/trace/seed` (sdk/assembly/rt, passed as `--lib`). */
export const SDK_RT_DIR = fileURLToPath(new URL("../../sdk/assembly/rt/", import.meta.url));

/**
 * The runtime: `incremental` (TLSF + incremental GC with a shadow stack in linear memory). The image is
 * memory + mutable globals, so its heap survives snapshots; it frees memory, unlike `stub`; and unlike
 * `minimal` it finds roots on the shadow stack, so collecting while `main` is suspended is safe
 * (docs/decisions.md "Actor SDK runtime").
 */
export const DEFAULT_RUNTIME = "incremental";

export interface CompileOptions {
  /** Binaryen optimisation (-O3, shrink 1). Default true. */
  optimize?: boolean;
  /** AssemblyScript runtime: "incremental" (default), "minimal" or "stub". */
  runtime?: "incremental" | "minimal" | "stub";
  /** Debug names in the binary. */
  debug?: boolean;
}

export interface CompileResult {
  wasm: Uint8Array;
  /** Warnings (errors throw). */
  diagnostics: Diagnostic[];
}

const CATEGORY = ["info", "warning", "error"] as const;
const SDK_PACKAGE = /(?:^|[\\/])node_modules[\\/]coreplay-sdk[\\/](.+)$/;

function locate(source: string | undefined, text: string | undefined, start: number): string | undefined {
  if (source === undefined) return undefined;
  if (text === undefined) return source;
  const before = text.slice(0, start).split("\n");
  return `${source}:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Compiles `entry` (an AssemblyScript file) to a Wasm module that imports only `coreplay.*`.
 * Throws {@link BuildError} with the compiler's diagnostics when it does not compile.
 *
 * @example
 * const { wasm } = await compileActor("examples/counter/assembly/index.ts");
 */
export async function compileActor(entry: string, options: CompileOptions = {}): Promise<CompileResult> {
  const entryAbs = path.resolve(entry);
  const baseDir = path.dirname(entryAbs);
  const sources = new Map<string, string>();
  const outputs = new Map<string, Uint8Array>();
  const diagnostics: Diagnostic[] = [];
  const optimize = options.optimize ?? true;

  const readSource = async (filename: string, dir: string): Promise<string | null> => {
    const abs = path.resolve(dir, filename);
    const sdk = SDK_PACKAGE.exec(abs);
    // `import "coreplay-sdk"` → sdk/assembly/index.ts, wherever the actor lives.
    const file = sdk ? path.join(SDK_ASSEMBLY_DIR, sdk[1]!) : abs;
    try {
      const text = await readFile(file, "utf8");
      sources.set(
        sdk ? `~lib/coreplay-sdk/${sdk[1]!.replace(/\\/g, "/")}` : filename.replace(/\\/g, "/"),
        text,
      );
      return text;
    } catch {
      return null;
    }
  };

  const argv = [
    path.basename(entryAbs),
    "--baseDir",
    baseDir,
    "--outFile",
    "out.wasm",
    "--runtime",
    options.runtime ?? DEFAULT_RUNTIME,
    "--exportStart",
    "_initialize",
    // ABI: the only imports allowed are coreplay.* (src/vm/abi.ts); route AssemblyScript's env.* here.
    "--use",
    "abort=cpAbort",
    "--use",
    "trace=cpTrace",
    "--use",
    "seed=cpSeed",
    "--lib",
    SDK_RT_DIR,
    "--noColors",
  ];
  if (optimize) argv.push("-O3", "--shrinkLevel", "1", "--noAssert");
  if (options.debug) argv.push("--debug");

  const stderr = asc.createMemoryStream();
  const result = await asc.main(argv, {
    stdout: asc.createMemoryStream(),
    stderr,
    readFile: readSource,
    writeFile: (name, contents) => {
      outputs.set(name, typeof contents === "string" ? new TextEncoder().encode(contents) : contents);
    },
    listFiles: async (dirname, dir) => {
      try {
        return (await readdir(path.resolve(dir, dirname))).filter(
          (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
        );
      } catch {
        return null;
      }
    },
    reportDiagnostic: (d) => {
      const src = d.range?.source.normalizedPath;
      diagnostics.push({
        category: CATEGORY[d.category] ?? "error",
        code: d.code,
        message: d.message,
        location: locate(src, src === undefined ? undefined : sources.get(src), d.range?.start ?? 0),
      });
    },
  });
  const errors = diagnostics.filter((d) => d.category === "error");
  if (result.error || errors.length > 0) {
    throw new BuildError(`Could not compile ${entry}`, {
      code: "BUILD_COMPILE_FAILED",
      details:
        errors.length > 0
          ? errors.map((d) => `${d.location ?? "?"}: AS${d.code}: ${d.message}`).join("\n")
          : (result.error?.message ?? stderr.toString()),
      hint: "fix the errors above; actors import the SDK as `coreplay-sdk`",
      diagnostics,
      cause: result.error ?? undefined,
    });
  }
  const wasm = outputs.get("out.wasm");
  if (!wasm) {
    throw new BuildError(`The compiler produced no output for ${entry}`, {
      code: "BUILD_NO_OUTPUT",
      details: stderr.toString(),
    });
  }
  return { wasm: new Uint8Array(wasm), diagnostics };
}
