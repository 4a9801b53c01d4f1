/**
 * The package as a user gets it: `npm pack`, installed from the tarball into an empty folder outside the
 * source tree, then the whole first-hour flow there: scaffold, test, build, play, a dev node, calls by
 * method name, a generated client that type-checks under tsc and runs.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const REPO = path.resolve(".");
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** The environment without the npm_* variables of the test runner's own npm (its prefix is the repo). */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")),
);

async function sh(cwd: string, cmd: string, args: string[], timeout = 240_000) {
  try {
    const r = await exec(cmd, args, { cwd, env, timeout, maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return {
      code: typeof x.code === "number" ? x.code : 1,
      stdout: x.stdout ?? "",
      stderr: x.stderr ?? String(e),
    };
  }
}
const lastJson = (s: string) =>
  JSON.parse(
    s
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .at(-1) ?? "null",
  );

describe("the installed package (npm pack → npm install into an empty folder)", () => {
  let tmp: string;
  let app: string;
  let hello: string;
  let node: ChildProcess | undefined;
  let url = "";
  let actorId = -1;
  const coreplay = (cwd: string, ...args: string[]) => sh(cwd, "npx", ["--no-install", "coreplay", ...args]);

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "coreplay-pkg-"));
    app = path.join(tmp, "app");
    hello = path.join(app, "hello");
    const packed = await sh(REPO, "npm", ["pack", "--pack-destination", tmp, "--json"]);
    expect(packed.code, packed.stderr).toBe(0);
    const tgz = path.join(tmp, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
    await sh(tmp, "mkdir", [app]);
    const installed = await sh(app, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tgz]);
    expect(installed.code, installed.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    node?.kill("SIGTERM");
    if (node && node.exitCode === null) await new Promise((ok) => node!.once("exit", ok));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("coreplay new makes a project that names no path of the source clone, and its npm test passes", async () => {
    const made = await coreplay(app, "new", "hello", "--json");
    expect(made.code, made.stderr).toBe(0);
    for (const f of lastJson(made.stdout).files as string[]) {
      const text = await readFile(path.join(hello, f), "utf8");
      expect(text, f).not.toContain(REPO);
      expect(text, f).not.toContain("file:");
    }
    const tested = await sh(hello, "npm", ["test"]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/pass 2/);
  }, 300_000);

  it("builds and plays the actor by method name there", async () => {
    const built = await coreplay(hello, "build", ".", "-o", "hello.cpl", "--json");
    expect(built.code, built.stderr).toBe(0);
    const played = await coreplay(
      hello,
      "play",
      "hello.cpl",
      "--service",
      "1",
      "--call",
      "add 5",
      "--call",
      "get",
      "--json",
    );
    expect(played.code, played.stderr).toBe(0);
    expect(lastJson(played.stdout).results).toEqual([
      { ok: true, value: "5", output: "0x0500000000000000" },
      { ok: true, value: { total: "5", ticks: 1 }, output: "0x050000000000000001000000" },
    ]);
  }, 300_000);

  it("calls it by method name on a running node; a failed call exits 1 with its reason", async () => {
    node = spawn(
      process.execPath,
      [
        path.join(app, "node_modules/coreplay/bin/coreplay.js"),
        "dev",
        "--port",
        "0",
        "--data-dir",
        path.join(tmp, "chain"),
        "--block-time",
        "200",
        "--no-examples",
        "--validators",
        "1",
        "--quiet",
      ],
      { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    url = await new Promise<string>((ok, fail) => {
      let out = "";
      const t = setTimeout(() => fail(new Error(`no RPC line from coreplay dev: ${out}`)), 120_000);
      node!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /"rpc":"([^"]+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          ok(m[1]!);
        }
      });
      node!.once("exit", (c) => fail(new Error(`coreplay dev exited ${c}: ${out}`)));
    });
    const deployed = await coreplay(hello, "deploy", "hello.cpl", "--json", "--url", url);
    expect(deployed.code, deployed.stderr).toBe(0);
    actorId = lastJson(deployed.stdout).actor;
    const ok = await coreplay(hello, "call", "hello", "add", "5", "--wait", "--json", "--url", url);
    expect(ok.code, ok.stderr).toBe(0);
    expect(lastJson(ok.stdout)).toMatchObject({ ok: true, value: "5", output: "0x0500000000000000" });
    const failed = await coreplay(hello, "call", "hello", "add", "0", "--wait", "--json", "--url", url);
    expect(failed.code).toBe(1);
    expect(lastJson(failed.stdout)).toMatchObject({
      ok: false,
      error: "Actor",
      message: "n must be positive",
    });
  }, 300_000);

  it("coreplay client writes a typed binding that type-checks under tsc and runs against the node", async () => {
    expect(url).not.toBe("");
    const gen = await coreplay(hello, "client", "hello.cpl", "-o", "client.ts", "--json");
    expect(gen.code, gen.stderr).toBe(0);
    await writeFile(
      path.join(hello, "use.ts"),
      `import { hello, type Totals } from "./client.ts";
const h = hello(${JSON.stringify(url)}, ${actorId});
const total: bigint = await h.add(5n);
const now: Totals = await h.query.get();
console.log(JSON.stringify({ total: total.toString(), ticks: typeof now.ticks }));
`,
    );
    await writeFile(
      path.join(hello, "tsconfig.client.json"),
      JSON.stringify({ extends: "./tsconfig.json", include: ["client.ts", "use.ts"] }),
    );
    const checked = await sh(hello, process.execPath, [TSC, "-p", "tsconfig.client.json"]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    // A wrong type is caught: add takes a u64, not a string.
    await writeFile(
      path.join(hello, "bad.ts"),
      `import { hello } from "./client.ts";\nawait hello("x", 0).add("five");\n`,
    );
    await writeFile(
      path.join(hello, "tsconfig.bad.json"),
      JSON.stringify({ extends: "./tsconfig.json", include: ["bad.ts"] }),
    );
    const bad = await sh(hello, process.execPath, [TSC, "-p", "tsconfig.bad.json"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/TS2345/);
    const ran = await sh(hello, process.execPath, ["--import", "coreplay/register", "use.ts"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(lastJson(ran.stdout)).toEqual({ total: "10", ticks: "number" });
    expect((await readdir(hello)).sort()).toContain("client.ts");
  }, 300_000);
});
