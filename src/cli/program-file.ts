/**
 * A program from the command line: a `.cpl` blob as it is, or a source folder / entry `.ts` built first.
 * Anything else is refused with a typed error that says what a program is.
 */
import { readFile, stat } from "node:fs/promises";
import { decodeExact, ProgramBlob } from "../codec/types.ts";
import { type ActorInterface, interfaceFromJson } from "../iface/index.ts";
import { CliError, progress } from "./util.ts";

/** Is `target` something to build (a folder, or a `.ts` entry) rather than a blob? */
async function kind(target: string): Promise<"blob" | "source" | "missing"> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return "missing";
  return info.isDirectory() || target.endsWith(".ts") ? "source" : "blob";
}

/**
 * The program blob `target` names. Throws {@link CliError}: `CLI_NO_PROGRAM` when there is no such
 * file, BuildError `BUILD_NOT_A_PROGRAM` when a file is not a program blob.
 */
export async function loadProgramFile(
  target: string,
  quiet = false,
): Promise<{ blob: Uint8Array; name: string }> {
  const k = await kind(target);
  if (k === "missing") {
    throw new CliError("Program not found", {
      code: "CLI_NO_PROGRAM",
      details: target,
      hint: "build one with `coreplay build <folder>` (it writes a .cpl file), or pass an actor source folder",
    });
  }
  const { buildProgram, unwrapProgram } = await import("../build/index.ts");
  if (k === "blob") {
    const blob = new Uint8Array(await readFile(target));
    const p = unwrapProgram(blob); // BUILD_NOT_A_PROGRAM for README.md and friends
    return { blob, name: p.metadata.name };
  }
  if (!quiet) progress(`building ${target} ...`);
  const built = await buildProgram(target);
  return { blob: built.blob, name: built.metadata.name };
}

/** The interface of a program file, or `undefined` when `target` is not a file or folder here. */
export async function loadInterfaceFile(
  target: string,
): Promise<{ name: string; interface: ActorInterface | undefined } | undefined> {
  if ((await kind(target)) === "missing") return undefined;
  const { blob, name } = await loadProgramFile(target, true);
  return {
    name,
    interface: interfaceFromJson(decodeExact(ProgramBlob, blob, "program blob").metadata.interface),
  };
}
