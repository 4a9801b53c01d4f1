// Module hooks that run Coreplay's TypeScript sources directly: `.ts` files are stripped of types by
// esbuild (no type checking; `tsc --noEmit` does that), everything else loads natively and untouched.
// A general-purpose loader (tsx) also rewrites large plain-JS packages: binaryen's 12 MB took ~1 minute
// to import through it, against ~1 s natively (docs/decisions.md "TypeScript without a build step").
// Node refuses to strip types under node_modules; this hook never hands a `.ts` file to Node's own
// loader, so it works the same in a clone and in an installed package (docs/decisions.md "Packaging").
import { readFile } from "node:fs/promises";
import { transform } from "esbuild";

/** This package's own package.json: bare `coreplay/...` specifiers fall back to it (self-reference). */
const SELF = new URL("../package.json", import.meta.url).href;
/** The exports condition that picks the TypeScript sources over the compiled `dist/`. */
const SOURCE = "coreplay-source";

export async function resolve(specifier, context, nextResolve) {
  const ours = specifier === "coreplay" || specifier.startsWith("coreplay/");
  if (!ours) return nextResolve(specifier, context);
  const conditions = [SOURCE, ...(context.conditions ?? [])];
  try {
    return await nextResolve(specifier, { ...context, conditions });
  } catch (e) {
    // A project that does not list coreplay (a scaffold next to a global or parent install): ours.
    if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    return nextResolve(specifier, { ...context, conditions, parentURL: SELF });
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const path = new URL(url);
  const source = await readFile(path, "utf8");
  const { code } = await transform(source, {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    sourcefile: path.pathname,
  });
  return { format: "module", source: code, shortCircuit: true };
}
