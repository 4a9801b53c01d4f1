import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/codec/bytes.ts";
import type { ActorId, Hash } from "../../src/codec/ids.ts";
import { createHarness, type Harness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";
import {
  asset,
  creditAmount,
  decodeAssetInfo,
  decodeBatch,
  decodeRegistryInfo,
  decodeWhereIs,
  okBytes,
  registry,
  type Transfer,
} from "./protocol.ts";

let assetBlob: Uint8Array;
let registryBlob: Uint8Array;
beforeAll(async () => {
  [assetBlob, registryBlob] = await Promise.all([
    buildExample("assets/assembly/index.ts").then((b) => b.blob),
    buildExample("assets/assembly/registry.ts").then((b) => b.blob),
  ]);
});

const ZERO_HASH = toHex(new Uint8Array(32));
const hashOf = (hex: string) => Buffer.from(hex.slice(2), "hex") as Uint8Array as Hash;

interface Ledger {
  h: Harness;
  reg: ActorId;
  actors: ActorId[];
  batches: number;
}

/** A registry and `n` asset actors (batches of `batchSize` accounts), each started by one Service. */
function ledger(n: number, batches: number, batchSize: number): Ledger {
  const h = createHarness();
  const reg = h.deploy(registryBlob);
  const actors = Array.from({ length: n }, () => h.deploy(assetBlob, asset.args(reg, batchSize)));
  h.service(reg);
  for (const a of actors) {
    okBytes(h.call(reg, registry.addAsset(a)));
    h.service(a);
  }
  return { h, reg, actors, batches };
}

const info = (h: Harness, a: ActorId) => decodeAssetInfo(okBytes(h.call(a, asset.info())));
const where = (l: Ledger, b: number) => decodeWhereIs(okBytes(l.h.call(l.reg, registry.whereIs(b))));

/**
 * Takes `batch` into actor `a`: the claim, and when the batch rests in a preimage, its read in the next
 * play (whose witness supplies what the claim requested).
 */
function take(l: Ledger, a: ActorId, batch: number) {
  okBytes(l.h.call(a, asset.take(batch)));
  l.h.service(a);
  l.h.service(a);
}

/**
 * Everything the asset is, counted wherever it is: in held batches, in batches resting on the disk, in
 * credits waiting in the registry, in postcards in flight, in credits kept while a batch loads.
 */
function audit(l: Ledger) {
  const { h } = l;
  let total = 0n;
  let minted = 0n;
  const adminOf = new Map<number, ActorId>();
  const loadingHere = new Set<number>();
  for (const a of l.actors) {
    const i = info(h, a);
    for (const b of i.loading) loadingHere.add(b);
    total += i.heldSum + i.loadingSum + i.orphanSum;
    minted += i.minted;
    for (const b of [...i.held, ...i.loading]) {
      // No batch is administered by two actors at once.
      expect(adminOf.has(b), `batch ${b} administered by ${adminOf.get(b)} and ${a}`).toBe(false);
      adminOf.set(b, a);
    }
  }
  for (let b = 0; b < l.batches; b++) {
    const w = where(l, b);
    // The registry's record and the actors' agree.
    expect(w.admin, `batch ${b}`).toBe(adminOf.get(b) ?? 0);
    // A batch rests in its preimage until it is read: on the disk, or claimed and still loading.
    if ((w.admin === 0 || loadingHere.has(b)) && w.hash !== ZERO_HASH) {
      const bytes = h.preimage(hashOf(w.hash));
      expect(bytes, `batch ${b} rests in ${w.hash}, which the disk must hold`).toBeDefined();
      const stored = decodeBatch(bytes ?? new Uint8Array());
      expect(stored.batch).toBe(b);
      total += stored.balances.reduce((s, x) => s + x, 0n);
    }
  }
  total += decodeRegistryInfo(okBytes(h.call(l.reg, registry.info()))).pendingSum;
  for (const id of [l.reg, ...l.actors]) for (const m of h.mailbox(id)) total += creditAmount(m);
  expect(total).toBe(minted);
  return { total, adminOf };
}

const t = (
  fromBatch: number,
  fromIndex: number,
  toBatch: number,
  toIndex: number,
  amount: bigint,
): Transfer => ({
  fromBatch,
  fromIndex,
  toBatch,
  toIndex,
  amount,
});

describe("asset ledger over long-term storage", () => {
  it("settles transfers inside the batches one actor holds, credits others through the registry", () => {
    const l = ledger(2, 4, 8);
    const [a, b] = l.actors as [ActorId, ActorId];
    take(l, a, 0);
    take(l, a, 1);
    take(l, b, 2);
    expect(info(l.h, a).held).toEqual([0, 1]);
    okBytes(l.h.call(a, asset.mint(0, 3, 1_000n)));
    // Within a's batches: settled at once.
    expect(okBytes(l.h.call(a, asset.transfer(t(0, 3, 1, 5, 300n))))).toEqual(Uint8Array.of(0));
    // To b's batch: a credit postcard through the registry, then forwarded to b.
    expect(okBytes(l.h.call(a, asset.transfer(t(0, 3, 2, 1, 200n))))).toEqual(Uint8Array.of(1));
    // To batch 3, resting (never stored): the registry keeps the credit for whoever claims it.
    expect(okBytes(l.h.call(a, asset.transfer(t(1, 5, 3, 0, 50n))))).toEqual(Uint8Array.of(1));
    audit(l);
    l.h.service(l.reg);
    l.h.service(b);
    expect(okBytes(l.h.call(b, asset.balanceOf(2, 1)))).toEqual(Uint8Array.from([200, 0, 0, 0, 0, 0, 0, 0]));
    expect(where(l, 3).pending).toBe(50n);
    take(l, b, 3);
    expect(decodeAssetInfo(okBytes(l.h.call(b, asset.info()))).heldSum).toBe(250n);
    expect(audit(l).total).toBe(1_000n);
  });

  it("moves a batch through the disk from one actor to another, balances and disk references intact", () => {
    const l = ledger(2, 2, 4);
    const [a, b] = l.actors as [ActorId, ActorId];
    take(l, a, 0);
    okBytes(l.h.call(a, asset.mint(0, 0, 70n)));
    okBytes(l.h.call(a, asset.transfer(t(0, 0, 0, 2, 30n))));
    // b cannot claim a batch a administers.
    take(l, b, 0);
    expect(info(l.h, b).held).toEqual([]);
    okBytes(l.h.call(a, asset.giveBack(0)));
    l.h.service(a);
    const rest = where(l, 0);
    expect(rest.admin).toBe(0);
    expect(rest.storer).toBe(a);
    expect(l.h.preimage(hashOf(rest.hash))).toBeDefined();
    audit(l);
    take(l, b, 0);
    expect(okBytes(l.h.call(b, asset.balanceOf(0, 2)))).toEqual(Uint8Array.from([30, 0, 0, 0, 0, 0, 0, 0]));
    // b told a (by postcard) that the preimage was read; a releases its reference at its next Service.
    l.h.service(a);
    expect(l.h.preimage(hashOf(rest.hash))).toBeUndefined();
    audit(l);
  });

  it("refuses what would break the books", () => {
    const l = ledger(1, 2, 4);
    const [a] = l.actors as [ActorId];
    take(l, a, 0);
    okBytes(l.h.call(a, asset.mint(0, 1, 10n)));
    const fail = (input: Uint8Array) => {
      const out = l.h.call(a, input);
      return out.success
        ? "ok"
        : out.value.tag === "Actor"
          ? new TextDecoder().decode(out.value.value)
          : out.value.tag;
    };
    expect(fail(asset.transfer(t(0, 1, 0, 2, 11n)))).toBe("insufficient balance");
    expect(fail(asset.transfer(t(1, 0, 0, 2, 1n)))).toBe("batch 1 is not administered here");
    expect(fail(asset.transfer(t(0, 1, 0, 1, 1n)))).toBe("from and to are the same account");
    expect(fail(asset.transfer(t(0, 1, 0, 9, 1n)))).toBe("account index 9 is outside the batch");
    expect(fail(asset.transfer(t(0, 1, 0, 2, 0n)))).toBe("amount must be positive");
    // All or none: the second transfer fails, so the first does not stand.
    expect(fail(asset.transferMany([t(0, 1, 0, 2, 4n), t(0, 1, 0, 3, 7n)]))).toBe("insufficient balance");
    expect(okBytes(l.h.call(a, asset.balanceOf(0, 1)))[0]).toBe(10);
    expect(fail(asset.giveBack(1))).toBe("batch 1 is not administered here");
    // Only registered asset actors may claim; an outsider's credit postcard to the registry is ignored.
    const outsider = l.h.deploy(assetBlob, asset.args(l.reg, 4));
    l.h.post(outsider, l.reg, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0]));
    l.h.service(l.reg);
    expect(where(l, 0).pending).toBe(0n);
    audit(l);
  });

  it("keeps supply and single administration under random transfers, batch moves and actor counts", () => {
    const B = 5;
    const size = 4;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("transfer" as const),
        actor: fc.nat(3),
        fromBatch: fc.nat(B - 1),
        fromIndex: fc.nat(size - 1),
        toBatch: fc.nat(B - 1),
        toIndex: fc.nat(size - 1),
        amount: fc.bigInt(1n, 40n),
      }),
      fc.record({
        kind: fc.constant("mint" as const),
        actor: fc.nat(3),
        batch: fc.nat(B - 1),
        amount: fc.bigInt(1n, 100n),
      }),
      fc.record({ kind: fc.constant("take" as const), actor: fc.nat(3), batch: fc.nat(B - 1) }),
      fc.record({ kind: fc.constant("giveBack" as const), actor: fc.nat(3), batch: fc.nat(B - 1) }),
      fc.record({ kind: fc.constant("service" as const), actor: fc.nat(4) }),
    );
    const seen = { settled: 0, sent: 0, moved: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { minLength: 5, maxLength: 30 }), (n, ops) => {
        const l = ledger(n, B, size);
        const pick = (i: number) => l.actors[i % n] as ActorId;
        // Start with every batch administered and funded, so that most random operations can succeed.
        for (let b = 0; b < B; b++) {
          take(l, pick(b), b);
          for (let i = 0; i < size; i++) okBytes(l.h.call(pick(b), asset.mint(b, i, 50n)));
        }
        let { adminOf } = audit(l);
        for (const o of ops) {
          if (o.kind === "transfer") {
            // Mostly from the batch's administrator (the call that can succeed), sometimes from anyone.
            const by =
              o.actor === 3 ? pick(o.amount === 1n ? 0 : 1) : (adminOf.get(o.fromBatch) ?? pick(o.actor));
            const out = l.h.call(
              by,
              asset.transfer(t(o.fromBatch, o.fromIndex, o.toBatch, o.toIndex, o.amount)),
            );
            if (out.success) seen[out.value[0] === 0 ? "settled" : "sent"]++;
          } else if (o.kind === "mint") {
            l.h.call(pick(o.actor), asset.mint(o.batch, 0, o.amount));
          } else if (o.kind === "take") {
            l.h.call(pick(o.actor), asset.take(o.batch));
          } else if (o.kind === "giveBack") {
            const by = adminOf.get(o.batch) ?? pick(o.actor);
            if (l.h.call(by, asset.giveBack(o.batch)).success) seen.moved++;
          } else {
            l.h.service(o.actor === 4 ? l.reg : pick(o.actor));
          }
          adminOf = audit(l).adminOf;
        }
      }),
      { numRuns: 40, seed: 0x5ca1e },
    );
    // The runs exercised every path, not only refusals.
    expect(seen.settled).toBeGreaterThan(20);
    expect(seen.sent).toBeGreaterThan(20);
    expect(seen.moved).toBeGreaterThan(10);
  });
});
