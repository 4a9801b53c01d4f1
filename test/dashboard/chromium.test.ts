/** The browser test must fail loudly, never skip, when Debian's Chromium is not installed. */
import { describe, expect, it } from "vitest";
import { launchChromium } from "./dev-node.ts";

describe("launchChromium", () => {
  it("fails with a message that says how to install Chromium when it is missing", async () => {
    await expect(launchChromium("/nonexistent/chromium")).rejects.toThrow(
      /\/nonexistent\/chromium is missing.*apt-get install -y chromium/,
    );
  });
});
