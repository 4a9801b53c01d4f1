#!/usr/bin/env node
// The `coreplay` command. Sources are TypeScript, loaded through bin/ts-hooks.js: no build step.
import "./register.js";

await import("../src/cli/main.ts");
