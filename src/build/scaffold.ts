/**
 * `coreplay new`: the files of a fresh actor project (source with its interface, a node:test test
 * through the harness, README, package.json). Kept apart from the CLI so it can be tested without a shell.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { BuildError } from "./errors.ts";

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The scaffold's files. Nothing in them names where Coreplay is installed: `coreplay/…` resolves. */
function files(name: string, version: string): Record<string, string> {
  return {
    "assembly/index.ts": `// ${name}: a Coreplay actor. Its interface is declared below, once, in \`Methods.on\`.
import { CallContext, Methods, Reader, input, log, yield_ } from "coreplay-sdk";

let total: u64 = 0;
let ticks: u32 = 0;

function get(ctx: CallContext): void {
  ctx.out.u64(total).u32(ticks);
}

/** Adds n and replies the new total; n = 0 fails (and a failed call changes nothing). */
function add(ctx: CallContext): void {
  const n = ctx.args.u64();
  if (n == 0) return ctx.fail("n must be positive");
  total += n;
  ctx.out.u64(total);
}

const methods = new Methods()
  .type("struct Totals { total: u64, ticks: u32 }")
  .on(0x00, get, "get() -> Totals")
  .on(0x01, add, "add(n: u64) -> u64");

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
    [`${name}.test.ts`]: `// Run with \`npm test\` (= \`coreplay test\`: node:test with TypeScript). Vitest works the same way.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { buildProgram } from "coreplay/build";
import { createHarness, deployActor } from "coreplay/harness";

let blob: Uint8Array;
before(async () => {
  blob = (await buildProgram(new URL(".", import.meta.url).pathname)).blob;
});

test("adds by name, ticks once per Service, and survives snapshot + restore", () => {
  const h = createHarness();
  const actor = deployActor(h, blob);
  h.service(actor.id, 2);
  assert.equal(actor.value("add", 5n), 5n);
  h.snapshotRestore(actor.id);
  assert.deepEqual(actor.value("get"), { total: 5n, ticks: 2 });
  assert.deepEqual(h.logs, ["${name}: tick 1", "${name}: tick 2"]);
});

test("a failed call says why and changes nothing", () => {
  const h = createHarness();
  const actor = deployActor(h, blob);
  const r = actor.call("add", 0n);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.message, "n must be positive");
  assert.deepEqual(actor.value("get"), { total: 0n, ticks: 0 });
});
`,
    "README.md": `# ${name}

A [Coreplay](https://www.npmjs.com/package/coreplay) actor written in AssemblyScript with the Coreplay SDK.

    npx coreplay build . -o ${name}.cpl             # compile + wrap; prints the code hash
    npx coreplay play . --service 1 --call add 5    # run it off-chain
    npm test                                        # the harness tests in ${name}.test.ts
    npx coreplay dev                                # (another terminal) a dev network
    npx coreplay deploy ${name}.cpl && npx coreplay call ${name} add 5 --wait

The build is preemptible (the default): when \`main\` runs out of gas it is suspended where it stands and
the next Service goes on. \`coreplay build . --cooperative\` opts in to cooperative code, a little faster,
where \`main\` must \`yield_()\` before its gas runs out.

## Interface

Declared in \`assembly/index.ts\` (\`Methods.on(byte, handler, "signature")\`); \`coreplay build\` puts it in
the program's metadata, so \`coreplay call\`, \`play\`, the harness and \`coreplay client\` use names and types.

| byte | method | reply |
|---|---|---|
| 0x00 | \`get()\` | \`Totals { total: u64, ticks: u32 }\` |
| 0x01 | \`add(n: u64)\` (n > 0) | \`u64\` new total |

\`main(args)\`: args are an optional u64 starting total (\`0x00\` or \`0x01\` + u64); it then logs one tick
per Service.
`,
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        type: "module",
        scripts: { build: `coreplay build . -o ${name}.cpl`, test: "coreplay test" },
        // Made with this version; \`coreplay\` itself comes from where it is installed (this folder's
        // parents, or globally), so the project never points at a path.
        coreplay: { version },
      },
      null,
      2,
    )}\n`,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          skipLibCheck: true,
        },
        include: ["*.ts"],
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
export async function scaffoldActor(name: string, dir: string = name, version = "0.1.0"): Promise<string[]> {
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
  const all = files(name, version);
  for (const [rel, text] of Object.entries(all)) {
    const file = path.join(target, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return Object.keys(all);
}
