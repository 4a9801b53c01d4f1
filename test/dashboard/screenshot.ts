/**
 * Takes docs/dashboard.png: a dev network with the example actors plus a few jugglers (busy actors that
 * yield every block and post postcards) and sleepers (called now and then), seen through the dashboard.
 *
 *   node --import ./bin/register.js test/dashboard/screenshot.ts [out.png]
 */
import { join } from "node:path";
import { toHex } from "../../src/codec/bytes.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { launchChromium, ROOT, startDevNode } from "./dev-node.ts";
import { echoProgram } from "./echo-program.ts";

/** main: each play drains a postcard, does `work` loop turns, posts to `target` every `period` blocks, yields. */
const JUGGLER_WAT = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "log" (func $log (param i32 i32)))
  (import "coreplay" "yield" (func $yield))
  (import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "coreplay" "recv" (func $recv (result i32)))
  (import "coreplay" "now" (func $now (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "a postcard!")
  (data (i32.const 16) "caught a postcard")
  (global $acc (mut i32) (i32.const 0))
  (func (export "main")
    (local $i i32)
    (drop (call $input (i32.const 64) (i32.const 12)))
    (loop $forever
      (if (i32.ge_s (call $recv) (i32.const 0))
        (then (call $log (i32.const 16) (i32.const 17))))
      (local.set $i (i32.load (i32.const 68)))
      (loop $work
        (if (local.get $i) (then
          (global.set $acc (i32.add (global.get $acc) (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $work))))
      (if (i32.eqz (i32.rem_u (call $now) (i32.load (i32.const 72))))
        (then (drop (call $send (i32.load (i32.const 64)) (i32.const 0) (i32.const 11)))))
      (call $yield)
      (br $forever)))
  (func (export "call") (param i64) (result i32)
    (local $n i32)
    (local.set $n (call $input (i32.const 1024) (i32.const 4096)))
    (call $reply (i32.const 1024) (local.get $n))
    (i32.const 0)))`;

const u32s = (...xs: number[]) => {
  const b = new Uint8Array(4 * xs.length);
  const v = new DataView(b.buffer);
  for (const [i, x] of xs.entries()) v.setUint32(4 * i, x, true);
  return toHex(b);
};

const out = process.argv[2] ?? join(ROOT, "docs/dashboard.png");
const node = await startDevNode([
  "--block-time",
  "1500",
  "--cores",
  "4",
  "--collators",
  "3",
  "--validators",
  "2",
  "--core-gas",
  "3000000",
  "--quiet",
]);
let id = 1;
// biome-ignore lint/suspicious/noExplicitAny: a script reading JSON answers
type Json = any;
const rpc = async (method: string, params: unknown[] = []): Promise<Json> => {
  const r = await fetch(node.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: id++, method, params }),
  });
  const j = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
};
try {
  // The examples are deployed by `coreplay dev` on a fresh chain; wait for them.
  // (Building them blocks the node's event loop for a while: requests may be dropped, so retry.)
  const actorCount = () =>
    rpc("actor_v1_list").then(
      (l) => l.length as number,
      () => 0,
    );
  for (let i = 0; i < 600 && (await actorCount()) < 2; i++) await new Promise((r) => setTimeout(r, 1000));
  const echo = await rpc("code_v1_upload", [toHex(echoProgram())]);
  const jug = await rpc("code_v1_upload", [toHex(programFromWat(JUGGLER_WAT, { name: "juggler" }))]);
  const sleepers: number[] = [];
  for (let i = 0; i < 3; i++) sleepers.push((await rpc("actor_v1_create", [echo.codeHash])).actor);
  const jugglers: number[] = [];
  const plan = [
    [sleepers[0]!, 40_000, 2],
    [sleepers[1]!, 90_000, 3],
    [sleepers[0]!, 20_000, 4],
    [sleepers[2]!, 60_000, 2],
  ];
  for (const [target, work, period] of plan) {
    jugglers.push((await rpc("actor_v1_create", [jug.codeHash, u32s(target!, work!, period!)])).actor);
  }
  const actors = (await rpc("actor_v1_list")) as { id: number; name: string }[];
  const counter = actors.find((a) => a.name === "counter")?.id;
  console.error(`sleepers ${sleepers}, jugglers ${jugglers}, counter ${counter}`);

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(node.url);
  await page.waitForSelector('#conn-dot[data-state="open"]');
  let shot = false;
  for (let round = 0; round < 40 && !shot; round++) {
    // Keep the audience entertained: calls to the counter and a sleeper, a postcard from an account.
    if (counter !== undefined) void rpc("actor_v1_call", [counter, "0x01"]).catch(() => {});
    void rpc("actor_v1_call", [sleepers[round % 3]!, toHex(new TextEncoder().encode(`hi ${round}`))]).catch(
      () => {},
    );
    if (round % 3 === 0) void rpc("actor_v1_send", [sleepers[1]!, "0x01"]).catch(() => {});
    // Shoot just after a block's moves have finished (they take 650 ms; blocks come every 1500 ms).
    const block = await page.locator("#theatre").getAttribute("data-block");
    await page.waitForFunction((b) => document.getElementById("theatre")?.dataset.block !== b, block, {
      timeout: 30_000,
    });
    await page.waitForTimeout(800);
    const playing = await page.locator('.stage[data-state="playing"]').count();
    const cards = await page.locator("#postcards .postcard").count();
    const asleep = await page.locator("#crowd .chip").count();
    console.error(`round ${round}: ${playing} stages playing, ${cards} postcards, ${asleep} asleep`);
    if (round >= 8 && playing >= 3 && asleep >= 3) {
      await page.screenshot({ path: out, fullPage: true });
      shot = true;
    }
  }
  if (!shot) await page.screenshot({ path: out, fullPage: true });
  console.error(`wrote ${out}`);
  await browser.close();
} catch (e) {
  console.error(`failed: ${(e as Error).stack}\nnode log:\n${node.log().slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await node.stop();
}
