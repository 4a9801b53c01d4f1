/**
 * End to end: the real node (`coreplay dev`, manual blocks) serves the dashboard on its RPC port, and
 * Debian's Chromium drives it through playwright-core: the stages show, a program is deployed from the
 * page, and after a call the actor walks from backstage onto a stage. Screenshots go to test-output/.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPlan, type DevNode, launchChromium, ROOT, startDevNode } from "./dev-node.ts";
import { echoProgram } from "./echo-program.ts";

const OUT = join(ROOT, "test-output");
// No browser on this machine (and CI does not require one): skipped, saying how to install it.
const plan = browserPlan(process.env);
if (!plan.run) console.warn(`dashboard browser tests skipped: ${plan.reason}`);
const CORES = 3;

let node: DevNode | undefined;
let browser: Browser | undefined;
let page: Page;
let programFile: string;
let actor = -1;
const pageErrors: string[] = [];

const headOf = async (p: Page): Promise<number> =>
  Number((await p.locator("#head-number").textContent())?.replace(/\D/g, "") || "0");

/** Presses Step once and waits until the theatre has drawn the new block. */
async function step(p: Page): Promise<number> {
  const before = await headOf(p);
  await p.click("#btn-step");
  await p.waitForFunction((n) => Number(document.getElementById("theatre")?.dataset.block ?? 0) > n, before, {
    timeout: 120_000,
  });
  // let the actor list / overview of that block arrive and be drawn
  await p.waitForTimeout(400);
  return headOf(p);
}

async function stepUntil(p: Page, done: () => Promise<boolean>, max: number, what: string): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await done()) return;
    await step(p);
  }
  if (!(await done())) {
    await p.screenshot({ path: join(OUT, "dashboard-failure.png"), fullPage: true });
    const said = await p.locator("#action-out").textContent();
    throw new Error(
      `after ${max} blocks: ${what}\npage says: ${said}\nnode log:\n${node?.log().slice(-3000)}`,
    );
  }
}

beforeAll(async () => {
  if (!plan.run) return;
  await mkdir(OUT, { recursive: true });
  browser = await launchChromium(); // throws a clear error when /usr/bin/chromium is missing
  programFile = join(OUT, "echo.cpl");
  await writeFile(programFile, echoProgram());
  node = await startDevNode([
    "--block-time",
    "manual",
    "--cores",
    String(CORES),
    "--collators",
    "2",
    "--validators",
    "1",
    "--no-examples",
    "--quiet",
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
}, 60_000);

// Blocks re-execute PoVs in validator workers: slow on a busy machine, so generous timeouts.
describe.skipIf(!plan.run)(
  plan.run ? "dashboard in a real browser" : `dashboard in a real browser (skipped: ${plan.reason})`,
  { timeout: 600_000 },
  () => {
    it("is served at / and shows one stage per core, the audience and the live connection", async () => {
      const res = await page.goto(node!.url);
      expect(res?.status()).toBe(200);
      expect(await page.title()).toBe("Coreplay theatre");
      await page.waitForSelector('#conn-dot[data-state="open"]', { timeout: 60_000 });
      await page.waitForFunction((n) => document.querySelectorAll(".stage").length === n, CORES, {
        timeout: 60_000,
      });
      expect(await page.locator(".stage .stage-name").allTextContents()).toEqual(
        Array.from({ length: CORES }, (_, i) => `Stage ${i}`),
      );
      expect(await page.locator("#mode").textContent()).toBe("manual blocks");
      expect(await page.locator(".seat").count()).toBe(1);
    });

    it("deploys a program from the file input and shows the new actor", async () => {
      await page.setInputFiles("#deploy-file", programFile);
      await page.click("#deploy-btn");
      await stepUntil(
        page,
        async () => ((await page.locator("#action-out").textContent()) ?? "").includes("deployed"),
        10,
        "the deploy did not finish",
      );
      const text = (await page.locator("#action-out").textContent()) ?? "";
      actor = Number(/actor #(\d+)/.exec(text)?.[1]);
      expect(text).toContain("deployed echo as actor #");
      expect(actor).toBeGreaterThanOrEqual(0);
      await page.waitForSelector(`.chip[data-actor="${actor}"]`, { timeout: 30_000 });
    });

    it("puts the actor on a stage after a call, and back backstage when idle", async () => {
      const onStage = async () => (await page.locator(`.stage [data-actor="${actor}"]`).count()) > 0;
      const backstage = async () => (await page.locator(`#crowd [data-actor="${actor}"]`).count()) > 0;
      const ended = async () => (await page.locator(`[data-actor="${actor}"] .s-ended`).count()) > 0;
      // main runs once (it returns), then the actor has nothing to do and sleeps backstage.
      await stepUntil(
        page,
        async () => (await ended()) && (await backstage()),
        8,
        "main never ended backstage",
      );
      expect(await onStage()).toBe(false);

      await page.selectOption("#call-actor", String(actor));
      await page.fill("#call-data", "0x68656c6c6f"); // "hello"
      await page.click("#call-btn");
      await stepUntil(page, onStage, 6, "the actor never appeared on a stage after the call");
      const stage = page.locator(".stage", { has: page.locator(`[data-actor="${actor}"]`) });
      expect(await stage.getAttribute("data-state")).toBe("playing");
      expect(await stage.locator(".verdict").textContent()).toContain("canonicalised");
      expect(await stage.locator(".collator").textContent()).toMatch(/^collator \d$/);
      expect(await stage.locator(".gas-text").textContent()).toMatch(/^gas \S+ \/ \S+$/);
      expect(await page.locator(".seat.lit").count()).toBe(1);
      // the actor on its stage, as the page shows it
      await page.screenshot({ path: join(OUT, "dashboard-e2e.png"), fullPage: true });
      const replied = async () =>
        ((await page.locator("#action-out").textContent()) ?? "").includes("replied");
      await stepUntil(page, replied, 4, "the call's reply never reached the page");
      expect(await page.locator("#action-out").textContent()).toContain("“hello”");
      expect(await page.locator("#timeline .sq.canonicalised").count()).toBeGreaterThanOrEqual(2);

      await stepUntil(page, backstage, 4, "the actor did not leave the stage when idle");
      expect(await onStage()).toBe(false);
    });

    it("shows the actor page: hashes, sequence, memory, logs and the call with its reply", async () => {
      await page.click(`.chip[data-actor="${actor}"]`);
      await page.waitForSelector("#actor-page:not([hidden]) .facts", { timeout: 30_000 });
      expect(page.url()).toContain(`#/actor/${actor}`);
      const body = page.locator("#actor-body");
      await page.waitForFunction(() => document.querySelector("#actor-body .calls") !== null, undefined, {
        timeout: 30_000,
      });
      expect(Number(await body.locator(".sequence").textContent())).toBeGreaterThanOrEqual(2);
      expect(await body.locator(".state-hash").textContent()).toMatch(/^0x[0-9a-f]{6}…[0-9a-f]{4}$/);
      expect(await body.textContent()).toContain("1 pages");
      const calls = await body.locator(".calls tbody tr").allTextContents();
      expect(calls.some((r) => r.includes("0x68656c6c6f") && r.includes("“hello”"))).toBe(true);
      const logs = await body.locator(".logs li").allTextContents();
      expect(logs.some((l) => l.endsWith(" hello"))).toBe(true);
      expect(logs.some((l) => l.endsWith(" ready"))).toBe(true);
      await page.click("#actor-close");
    });

    it("rejects bad input with a message instead of calling the node", async () => {
      await page.fill("#call-data", "0xzz");
      await page.click("#call-btn");
      await page.waitForFunction(() => document.getElementById("action-out")?.dataset.kind === "error");
      expect(await page.locator("#action-out").textContent()).toContain("not hex bytes");
      await page.fill("#deploy-args", "0x1");
      await page.setInputFiles("#deploy-file", programFile);
      await page.click("#deploy-btn");
      await page.waitForFunction(() =>
        document.getElementById("action-out")?.textContent?.includes("not hex"),
      );
      await page.fill("#deploy-args", "");
      // A file that is not a program: the node's typed error reaches the page.
      const junk = join(OUT, "junk.cpl");
      await writeFile(junk, new Uint8Array([1, 2, 3, 4]));
      await page.setInputFiles("#deploy-file", junk);
      await page.click("#deploy-btn");
      // The previous message is an error too: wait for this one's text, not just its kind.
      await page.waitForFunction(
        () => document.getElementById("action-out")?.textContent?.includes("code_v1_upload"),
        undefined,
        { timeout: 60_000 },
      );
      expect(await page.locator("#action-out").getAttribute("data-kind")).toBe("error");
    });

    it("fits a phone screen without sideways scrolling", async () => {
      const phone = await browser!.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
      await phone.goto(node!.url);
      await phone.waitForFunction((n) => document.querySelectorAll(".stage").length === n, CORES, {
        timeout: 60_000,
      });
      await phone.waitForSelector(`.chip[data-actor="${actor}"]`, { timeout: 30_000 });
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await phone.screenshot({ path: join(OUT, "dashboard-phone.png"), fullPage: true });
      await phone.close();
    });

    it("ran without a script error in the page", () => {
      expect(pageErrors).toEqual([]);
    });
  },
);
