/** The dashboard's pure model (dashboard/js/model.js): blocks → stages, backstage, timeline, formatting. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addOlderBlocks,
  applyBlock,
  backers,
  backstage,
  bytesToHex,
  createModel,
  formatBytes,
  formatGas,
  gasShare,
  hexText,
  hexU64,
  normaliseHex,
  postcardEdges,
  setActors,
  stageView,
  TIMELINE_BLOCKS,
  timeline,
} from "../../dashboard/js/model.js";
import type { ActorJson, BlockJson, PovJson } from "../../src/rpc/types.ts";

const hash = (n: number, salt = 0) => `0x${(n * 7919 + salt).toString(16).padStart(64, "0")}` as const;

function block(
  n: number,
  povs: Partial<PovJson>[] = [],
  dropped: Partial<PovJson>[] = [],
  salt = 0,
): BlockJson {
  const pov = (p: Partial<PovJson>, status: PovJson["status"]): PovJson => ({
    hash: hash(n * 100 + (p.core ?? 0), salt),
    core: 0,
    collator: 0,
    actors: [],
    calls: 0,
    gasUsed: "1000",
    size: 10,
    relayParent: n - 1,
    status,
    backers: [0],
    ...p,
  });
  return {
    number: n,
    hash: hash(n, salt),
    parentHash: hash(n - 1, salt),
    stateRoot: hash(n, 0x5707),
    author: hash(0, salt),
    timestamp: 0,
    povs: povs.map((p) => pov(p, "canonicalised")),
    dropped: dropped.map((p) => pov(p, p.status ?? "expired")),
    extrinsics: 0,
  };
}

const actorJ = (id: number): ActorJson => ({
  id,
  name: "a",
  codeHash: hash(1),
  stateHash: hash(2),
  sequence: "0",
  balance: "0",
  owner: null,
  status: "suspended",
  queuedCalls: 0,
  mailbox: 0,
});

const withInfo = (cores: number) => {
  const m = createModel();
  m.info = {
    version: "0",
    cores,
    collators: 2,
    validators: 3,
    blockTime: "manual",
    coreGas: "10000",
    dataDir: "",
  };
  setActors(m, [0, 1, 2, 3, 4].map(actorJ));
  return m;
};

describe("stages and backstage", () => {
  it("puts each canonicalised PoV's actors on its core and everyone else backstage", () => {
    const m = withInfo(3);
    applyBlock(m, block(1, [{ core: 2, actors: [1, 3], collator: 1, gasUsed: "2500", backers: [0, 2] }]));
    const s = stageView(m);
    expect(s.map((x) => x.actors)).toEqual([[], [], [1, 3]]);
    expect(s[2]!.pov?.collator).toBe(1);
    expect(s[2]!.gas).toBe(0.25);
    expect(backstage(m)).toEqual([0, 2, 4]);
    expect([...backers(m)].sort()).toEqual([0, 2]);
  });

  it("moves actors with the next block: the stage is the latest timeslice only", () => {
    const m = withInfo(2);
    applyBlock(m, block(1, [{ core: 0, actors: [0] }]));
    applyBlock(m, block(2, [{ core: 1, actors: [4] }]));
    expect(stageView(m).map((x) => x.actors)).toEqual([[], [4]]);
    expect(backstage(m)).toEqual([0, 1, 2, 3]);
  });

  it("shows a dropped PoV's verdict on its stage without putting its actors on it", () => {
    const m = withInfo(2);
    applyBlock(m, block(1, [], [{ core: 1, actors: [2], status: "invalid", reason: "bad slab" }]));
    const s = stageView(m)[1]!;
    expect(s.pov?.status).toBe("invalid");
    expect(s.actors).toEqual([]);
    expect(backstage(m)).toContain(2);
  });

  it("is empty before the node info arrives", () => {
    const m = createModel();
    applyBlock(m, block(1, [{ core: 0, actors: [0] }]));
    expect(stageView(m)).toEqual([]);
  });
});

describe("blocks", () => {
  it("keeps the last TIMELINE_BLOCKS blocks in order", () => {
    const m = withInfo(1);
    for (let n = 1; n <= TIMELINE_BLOCKS + 10; n++) applyBlock(m, block(n));
    expect(m.blocks.length).toBe(TIMELINE_BLOCKS);
    expect(m.blocks[0]!.number).toBe(11);
    expect(m.blocks.at(-1)!.number).toBe(TIMELINE_BLOCKS + 10);
  });

  it("replaces the tail when the chain restarts or reverts (same numbers, other hashes)", () => {
    const m = withInfo(1);
    for (let n = 1; n <= 5; n++) applyBlock(m, block(n));
    applyBlock(m, block(3, [], [], 1)); // another chain's #3: its parent is not our #2
    expect(m.blocks.map((b) => b.number)).toEqual([3]);
    applyBlock(m, block(4, [], [], 1));
    expect(m.blocks.map((b) => b.hash)).toEqual([hash(3, 1), hash(4, 1)]);
  });

  it("backfills older blocks without dropping newer ones", () => {
    const m = withInfo(1);
    applyBlock(m, block(10));
    addOlderBlocks(m, [block(8), block(9), block(10), block(12)]);
    expect(m.blocks.map((b) => b.number)).toEqual([8, 9, 10]);
  });

  it("marks canonicalised, pending (in the pool) and dropped PoVs in the timeline", () => {
    const m = withInfo(2);
    applyBlock(m, block(1, [{ core: 0, actors: [0] }], [{ core: 1, actors: [1], status: "expired" }]));
    m.overview = {
      head: 1,
      actors: [],
      postcards: [],
      postcardsTotal: 0,
      pool: [{ hash: hash(9), core: 1, collator: 0, actors: [2], admittedAt: 1 }],
      disk: { items: 0, bytes: 0 },
      preimages: [],
    };
    expect(timeline(m)[0]!.cells.map((c) => c.status)).toEqual(["canonicalised", "pending", "expired"]);
  });
});

describe("postcards", () => {
  it("groups waiting postcards by sender and recipient", () => {
    const edges = postcardEdges({
      postcards: [
        { from: 1, to: 2, size: 3 },
        { from: 1, to: 2, size: 4 },
        { from: null, to: 2, size: 1 },
      ],
    });
    expect(edges).toEqual([
      { from: 1, to: 2, count: 2 },
      { from: null, to: 2, count: 1 },
    ]);
    expect(postcardEdges(null)).toEqual([]);
  });
});

describe("formatting and input", () => {
  it("gas share is clamped to [0, 1] and exact on u64 strings", () => {
    expect(gasShare("0", "100")).toBe(0);
    expect(gasShare("150", "100")).toBe(1);
    expect(gasShare("18446744073709551615", "18446744073709551615")).toBe(1);
    expect(gasShare("5", "0")).toBe(0);
    expect(formatGas("2000000000")).toBe("2.0G");
    expect(formatGas("999")).toBe("999");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });

  it("hex round-trips through bytesToHex and normaliseHex (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(normaliseHex(hex)).toBe(hex);
        expect(normaliseHex(hex.slice(2).toUpperCase())).toBe(hex);
      }),
    );
  });

  it("refuses odd-length and non-hex input with a message that says what to type", () => {
    for (const bad of ["0x1", "zz", "0xgg", "0x 1"]) expect(() => normaliseHex(bad)).toThrow(/not hex bytes/);
    expect(normaliseHex("")).toBe("0x");
    expect(normaliseHex(" 0x01 02 ")).toBe("0x0102");
  });

  it("previews replies as text or as a little-endian number", () => {
    expect(hexText("0x68656c6c6f")).toBe("hello");
    expect(hexText("0x0001")).toBe(null);
    expect(hexText("0xff")).toBe(null);
    expect(hexU64("0x0500000000000000")).toBe("5");
    expect(hexU64("0x")).toBe(null);
  });
});
