/**
 * `coreplay new`: the files of a fresh actor project (source, a test through the harness, README,
 * package.json). Kept apart from the CLI so it can be tested without a shell.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError } from "./errors.ts";

/** This repository (the SDK and the harness come from here, by path). */
export const REPO_DIR = fileURLToPath(new URL("../../", import.meta.url));

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

function files(name: string, repo: string): Record<string, string> {
  const rel = (p: string) => path.join(repo, p);
  return {
    "assembly/index.ts": `// ${name}: a Coreplay actor. Protocol: see README.md.
import { CallContext, Methods, Reader, input, log, yield_ } from "coreplay-sdk";

let total: u64 = 0;
let ticks: u32 = 0;

/** 0x00 get() -> (total u64, ticks u32) */
function get(ctx: CallContext): void {
  ctx.out.u64(total).u32(ticks);
}

/** 0x01 add(n u64) -> u64: adds n and replies the new total. */
function add(ctx: CallContext): void {
  const n = ctx.args.u64();
  if (n == 0) return ctx.fail("n must be positive");
  total += n;
  ctx.out.u64(total);
}

const methods = new Methods().on(0x00, get).on(0x01, add);

/** args: Option<u64> starting total. Then one tick per Service, forever. */
export function main(): void {
  const args = input();
  if (args.length > 0) {
    const r = new Reader(args);
    if (r.u8() == 1) total = r.u64();
  }
  while (true) {
    ticks++;
    log("${name}: tick " + ticks.toString());
    yield_();
  }
}

export function call(origin: i64): i32 {
  return methods.dispatch(origin);
}
`,
    [`${name}.test.ts`]: `import { beforeAll, expect, it } from "vitest";
import { buildProgram } from "coreplay/src/build/index.ts";
import { createHarness } from "coreplay/src/harness/index.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildProgram(new URL(".", import.meta.url).pathname)).blob;
}, 120_000); // compiling takes a few seconds

const u64 = (b: Uint8Array) => Buffer.from(b).readBigUInt64LE(0);

it("adds, ticks once per Service, and survives snapshot + restore", () => {
  const h = createHarness();
  const id = h.deploy(blob);
  h.service(id, 2);
  const out = h.call(id, Uint8Array.of(0x01, 5, 0, 0, 0, 0, 0, 0, 0));
  expect(out.success && u64(out.value)).toBe(5n);
  h.snapshotRestore(id);
  const got = h.call(id, Uint8Array.of(0x00));
  expect(got.success && Buffer.from(got.value).readUInt32LE(8)).toBe(2);
  expect(h.logs).toEqual(["${name}: tick 1", "${name}: tick 2"]);
}, 60_000);
`,
    "README.md": `# ${name}

A [Coreplay](${repo}) actor written in AssemblyScript with the Coreplay SDK.

    npm install                                     # links coreplay and coreplay-sdk from ${repo}
    npx coreplay build . -o ${name}.cpl             # compile + wrap; prints the code hash
    npx coreplay play . --service 1 --call 0x00     # run it off-chain
    npm test                                        # the harness test in ${name}.test.ts

## Protocol

\`call\` input is one method byte followed by SCALE-encoded arguments; replies are SCALE.

| byte | method | args | reply |
|---|---|---|---|
| 0x00 | get | – | (total u64, ticks u32) |
| 0x01 | add | n u64 (> 0) | u64 new total |

\`main(args)\`: args are an optional u64 starting total (\`0x00\` or \`0x01\` + u64); it then logs one tick
per Service.
`,
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        type: "module",
        scripts: { build: `coreplay build . -o ${name}.cpl`, test: "vitest run" },
        devDependencies: {
          coreplay: `file:${rel("")}`.replace(/\/$/, ""),
          "coreplay-sdk": `file:${rel("sdk")}`,
          vitest: "4.1.12",
        },
      },
      null,
      2,
    )}\n`,
    ".gitignore": "node_modules/\n*.cpl\n",
  };
}

/**
 * Writes a new actor project into `dir` (which must not exist yet, or be empty of these files).
 * Returns the files written, relative to `dir`.
 *
 * @example await scaffoldActor("my-actor", "./my-actor")
 */
export async function scaffoldActor(name: string, dir: string = name, repo = REPO_DIR): Promise<string[]> {
  if (!NAME.test(name)) {
    throw new BuildError(`Invalid project name: ${JSON.stringify(name)}`, {
      code: "NEW_INVALID_NAME",
      details: "use lower-case letters, digits and dashes, starting with a letter (at most 63)",
      hint: "e.g. `coreplay new my-actor`",
    });
  }
  const target = path.resolve(dir);
  if (await stat(target).catch(() => undefined)) {
    throw new BuildError(`${dir} already exists`, {
      code: "NEW_EXISTS",
      hint: "pick another name, or remove the folder",
    });
  }
  const all = files(name, repo);
  for (const [rel, text] of Object.entries(all)) {
    const file = path.join(target, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return Object.keys(all);
}
