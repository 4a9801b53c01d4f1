#!/usr/bin/env node
// The `coreplay` command. Sources are TypeScript run through tsx, so a fresh clone needs no build step.
// binaryen (~12 MB of JS) is imported natively before tsx is registered: through tsx's loader it takes
// minutes; once in the ESM cache, the TypeScript sources that import it reuse it.
const cmd = process.argv[2] ?? "";
const building = cmd === "deploy" && !process.argv.slice(3).some((a) => a.endsWith(".cpl"));
if (["dev", "build", "play"].includes(cmd) || building) await import("binaryen");
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
