import { beforeAll, describe, expect, it } from "vitest";
import type { CallOutput } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";

let blob: Uint8Array;
let counter: Uint8Array;
beforeAll(async () => {
  [blob, counter] = await Promise.all([buildExample("auction"), buildExample("counter")]).then((b) =>
    b.map((x) => x.blob),
  );
});

const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24];
const u64 = (n: bigint) => [...Buffer.from(new BigUint64Array([n]).buffer)];
const str = (s: string) => [s.length << 2, ...Buffer.from(s)];
const ok = (o: CallOutput): Buffer => {
  if (!o.success) throw new Error(`call failed: ${JSON.stringify(o.value)}`);
  return Buffer.from(o.value);
};
const failText = (o: CallOutput): string =>
  !o.success && o.value.tag === "Actor"
    ? Buffer.from(o.value.value).toString()
    : `not an actor error: ${JSON.stringify(o)}`;

describe("auction (one fibre per lot)", () => {
  it("lots close at their block with the best bid, by call or by postcard; waiting costs nothing", () => {
    const h = createHarness();
    const bidder = h.deploy(counter); // an actor that bids by postcard
    // main opens 2 lots: closing 3 and 5 blocks from now
    const a = h.deploy(blob, Uint8Array.from([...u32(2), ...u32(3), ...u32(2)]));
    const start = h.advance(0);
    h.service(a);
    expect(ok(h.call(a, Uint8Array.of(3))).equals(Buffer.from([...u32(2), ...u32(0)]))).toBe(true);
    // a third lot by call, with a reserve
    expect(ok(h.call(a, Uint8Array.from([0, ...u32(start + 8), ...u64(50n)])))).toEqual(Buffer.from(u32(2)));
    h.snapshotRestore(a);

    expect(ok(h.call(a, Uint8Array.from([1, ...u32(0), ...u64(10n), ...str("alice")])))).toEqual(
      Buffer.from(u64(10n)),
    );
    expect(failText(h.call(a, Uint8Array.from([1, ...u32(0), ...u64(9n), ...str("bob")])))).toBe(
      "the best bid is 10",
    );
    expect(failText(h.call(a, Uint8Array.from([1, ...u32(2), ...u64(20n), ...str("bob")])))).toBe(
      "below the reserve of 50",
    );
    h.post(bidder, a, Uint8Array.from([...u32(0), ...u64(15n)]));
    h.post(bidder, a, Uint8Array.from([...u32(1), ...u64(7n)]));
    const read = h.service(a)[0]!;
    // main reads the bids; lot 2's fibre (spawned by the call) starts and goes to sleep; lots 0 and 1 sleep on
    expect(read.fibres?.map((f) => [f.fibre, f.status])).toEqual([
      [0, "waiting"],
      [3, "waiting"],
    ]);
    // every fibre waits: a Service does nothing and costs nothing
    expect(h.service(a)).toEqual([{ status: "idle", gasUsed: 0n }]);
    h.snapshotRestore(a);

    const closed: number[] = [];
    for (let b = 0; b < 10; b++) {
      h.advance(1);
      const o = h.service(a)[0]!;
      for (const f of o.fibres ?? []) if (f.status === "returned") closed.push(h.advance(0));
      h.snapshotRestore(a);
    }
    expect(closed).toEqual([start + 3, start + 5, start + 8]);
    expect(h.logs.filter((l) => l.startsWith("lot "))).toEqual([
      `lot 0 sold to actor ${bidder} for 15 at block ${start + 3}`,
      `lot 1 sold to actor ${bidder} for 7 at block ${start + 5}`,
      `lot 2 closed at block ${start + 8} unsold`,
    ]);
    // the winner was told by postcard: (1u8, lot u32, price u64)
    expect(h.mailbox(bidder).map((m) => Buffer.from(m.data).toString("hex"))).toEqual([
      Buffer.from([1, ...u32(0), ...u64(15n)]).toString("hex"),
      Buffer.from([1, ...u32(1), ...u64(7n)]).toString("hex"),
    ]);
    expect(failText(h.call(a, Uint8Array.from([1, ...u32(1), ...u64(99n), ...str("late")])))).toBe(
      "lot 1 is closed",
    );
    expect(ok(h.call(a, Uint8Array.of(3)))).toEqual(Buffer.from([...u32(3), ...u32(3)]));
  });
});
