// Module hooks that run Coreplay's TypeScript sources directly: `.ts` files are stripped of types by
// esbuild (no type checking; `tsc --noEmit` does that), everything else loads natively and untouched.
// A general-purpose loader (tsx) also rewrites large plain-JS packages: binaryen's 12 MB took ~1 minute
// to import through it, against ~1 s natively (docs/decisions.md "TypeScript without a build step").
import { readFile } from "node:fs/promises";
import { transform } from "esbuild";

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
