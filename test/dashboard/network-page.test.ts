/**
 * The network page (dashboard/network.html) in a real browser against a real network: two validator
 * processes started by `coreplay net up`, the page served by the first node and pointed at both. It
 * must draw a row per node with its head and finalised block, the recent blocks with their authors,
 * and show a node killed with SIGKILL as down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, kill9, type UpNode, waitFor } from "../net/helpers.ts";
import { browserPlan, launchChromium } from "./dev-node.ts";

const plan = browserPlan(process.env);
if (!plan.run) console.warn(`network page browser test skipped: ${plan.reason}`);

let dir = "";
let nodes: UpNode[] = [];
let browser: Browser | undefined;
let page: Page;

const cells = (p: Page, sel: string) =>
  p
    .locator(sel)
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent ?? "")));

describe.skipIf(!plan.run)("the network page in Chromium", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cp-netpage-"));
    const up = await cli<{ nodes: UpNode[] }>(
      ["net", "up", "--validators", "2", "--slot-ms", "500", "--dir", dir],
      180_000,
    );
    nodes = up.nodes;
    browser = await launchChromium(plan.run ? plan.executablePath : undefined);
    page = await browser.newPage();
    const list = nodes.map((n) => n.rpc).join(",");
    await page.goto(`${nodes[0]!.rpc}/network.html?nodes=${encodeURIComponent(list)}`);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    try {
      await cli(["net", "down", "--dir", dir], 60_000);
    } finally {
      for (const n of nodes) kill9(n.pid);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("draws each node's head and finalised block, and who authored each recent block", async () => {
    const rows = await waitFor(
      "both nodes drawn with a finalised block",
      async () => {
        const r = await cells(page, "#nodes tr");
        const final = r.map((c) => Number(c[4]?.replace("#", "") ?? 0));
        return r.length === 2 && final.every((f) => f >= 2) ? r : undefined;
      },
      120_000,
    );
    for (const [i, r] of rows.entries()) {
      expect(r[0]).toBe(`validator-${i}`);
      expect(r[1]).toBe(`${i} of 2`);
      expect(Number(r[3]!.replace("#", ""))).toBeGreaterThanOrEqual(Number(r[4]!.replace("#", "")));
    }
    const blocks = await cells(page, "#blocks tr");
    expect(blocks.length).toBeGreaterThan(2);
    // round-robin Aura with two validators: both authors appear among the recent blocks
    expect(new Set(blocks.map((b) => b[1])).size).toBe(2);
  }, 150_000);

  it("shows a node killed with SIGKILL as down", async () => {
    kill9(nodes[1]!.pid);
    const row = await waitFor(
      "the killed node's row marked down",
      async () => {
        const r = await cells(page, "#nodes tr");
        return r[1]?.[1] === "down" ? r[1] : undefined;
      },
      60_000,
    );
    expect(row[0]).toBe(nodes[1]!.rpc);
  }, 90_000);
});
