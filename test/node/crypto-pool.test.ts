import { afterAll, describe, expect, it } from "vitest";
import { devKeypair, sign, verify } from "../../src/crypto/ed25519.ts";
import { createCryptoPool } from "../../src/node/crypto-pool.ts";

describe("signature pool (worker threads)", () => {
  const pool = createCryptoPool(2);
  afterAll(() => pool.close());
  const keys = [devKeypair(0), devKeypair(1), devKeypair(2)];
  const msgs = Array.from({ length: 200 }, (_, i) => new TextEncoder().encode(`message ${i}`));

  it("signs exactly as in-thread ed25519, for many keys, in order", async () => {
    const jobs = msgs.map((message, i) => ({ seed: keys[i % 3]!.secretKey, message }));
    const sigs = await pool.sign(jobs);
    expect(sigs).toHaveLength(msgs.length);
    for (const [i, j] of jobs.entries()) expect(sigs[i]).toEqual(sign(j.message, j.seed));
  });

  it("verifies in order, refusing wrong signatures, keys and messages", async () => {
    const checks = msgs.map((message, i) => {
      const k = keys[i % 3]!;
      return { publicKey: k.publicKey, message, signature: sign(message, k.secretKey) };
    });
    checks[5] = { ...checks[5]!, signature: checks[6]!.signature };
    checks[17] = {
      ...checks[17]!,
      publicKey: keys[0]!.publicKey === checks[17]!.publicKey ? keys[1]!.publicKey : keys[0]!.publicKey,
    };
    checks[99] = { ...checks[99]!, message: Uint8Array.of(1) };
    checks[150] = { ...checks[150]!, signature: new Uint8Array(12) };
    const ok = await pool.verify(checks);
    expect(ok).toHaveLength(checks.length);
    for (const [i, c] of checks.entries()) expect(ok[i]).toBe(verify(c.signature, c.message, c.publicKey));
    expect(ok.filter((x) => !x).length).toBe(4);
  });

  it("judges edge cases as in-thread verification does (one rule on every path)", async () => {
    const k = keys[0]!;
    const good = Array.from({ length: 100 }, (_, i) => {
      const message = Uint8Array.of(i);
      return { publicKey: k.publicKey, message, signature: sign(message, k.secretKey) };
    });
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const smallOrder = new Uint8Array(64);
    smallOrder.set(identity);
    const checks = [
      ...good,
      // a small-order key with a signature satisfying the equation for it
      { publicKey: identity, message: Uint8Array.of(1), signature: smallOrder },
      // S = 2^256 - 1 (non-canonical), a key that is not a point, an all-zero signature
      {
        ...good[0]!,
        signature: Uint8Array.from([...good[0]!.signature.subarray(0, 32), ...new Uint8Array(32).fill(255)]),
      },
      { ...good[1]!, publicKey: new Uint8Array(32).fill(255) },
      { ...good[2]!, signature: new Uint8Array(64) },
    ];
    const ok = await pool.verify(checks);
    expect(ok).toEqual(checks.map((c) => verify(c.signature, c.message, c.publicKey)));
    expect(ok.slice(100)).toEqual([false, false, false, false]);
  });

  it("answers small batches and empty ones in-thread", async () => {
    expect(await pool.verify([])).toEqual([]);
    const k = keys[0]!;
    const m = Uint8Array.of(7);
    expect(await pool.sign([{ seed: k.secretKey, message: m }])).toEqual([sign(m, k.secretKey)]);
  });

  it("works without workers (size 0)", async () => {
    const none = createCryptoPool(0);
    const k = keys[1]!;
    const jobs = msgs.map((message) => ({ seed: k.secretKey, message }));
    const sigs = await none.sign(jobs);
    expect(
      await none.verify(
        jobs.map((j, i) => ({ publicKey: k.publicKey, message: j.message, signature: sigs[i]! })),
      ),
    ).toEqual(jobs.map(() => true));
    await none.close();
  });
});
