/**
 * Without Chromium the browser tests skip, saying how to install it, unless the environment requires
 * them (.ci/run sets COREPLAY_REQUIRE_BROWSER=1): then a missing browser fails loudly.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { browserPlan, launchChromium, ROOT } from "./dev-node.ts";

const none = () => false;
const there = () => true;

describe("browserPlan", () => {
  it.each([
    ["no browser, not required: skipped with the install command", {}, none, false],
    ["no browser, required: runs (and fails loudly)", { COREPLAY_REQUIRE_BROWSER: "1" }, none, true],
    ["a browser, not required: runs", {}, there, true],
    ["required by another value than 1: still skipped", { COREPLAY_REQUIRE_BROWSER: "yes" }, none, false],
  ])("%s", (_, env, exists, runs) => {
    const plan = browserPlan(env, exists);
    expect(plan.run).toBe(runs);
    if (!plan.run) {
      expect(plan.reason).toContain("/usr/bin/chromium");
      expect(plan.reason).toContain("apt-get update && apt-get install -y chromium");
      expect(plan.reason).toContain("COREPLAY_REQUIRE_BROWSER=1");
    }
  });

  it("is required in CI: .ci/run sets COREPLAY_REQUIRE_BROWSER=1", () => {
    expect(readFileSync(join(ROOT, ".ci/run"), "utf8")).toMatch(/^export COREPLAY_REQUIRE_BROWSER=1$/m);
  });
});

describe("launchChromium", () => {
  it("fails with a message that says how to install Chromium when it is missing", async () => {
    await expect(launchChromium("/nonexistent/chromium")).rejects.toThrow(
      /\/nonexistent\/chromium is missing.*apt-get install -y chromium/,
    );
  });
});
