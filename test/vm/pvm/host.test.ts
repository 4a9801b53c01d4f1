/**
 * PVM host calls (docs/abi.md §9): ecalli numbers with arguments in a0–a2 and the result in a0, the
 * entry rules (yield in call, impure calls in inspectors), pointer checks and host gas.
 */
import { describe, expect, it } from "vitest";
import { wrapPvmProgram } from "../../../src/build/pvm.ts";
import { actorId, type CodeHash } from "../../../src/codec/ids.ts";
import { createHarness } from "../../../src/harness/index.ts";
import type { HostEnv } from "../../../src/vm/engine.ts";
import { createEngine } from "../../../src/vm/engines.ts";
import { assemble } from "../../../src/vm/pvm/asm.ts";
import { PvmProgram } from "../../../src/vm/pvm/engine.ts";
import { encodeStandard } from "../../../src/vm/pvm/layout.ts";

const blobOf = (...lines: string[]): Uint8Array =>
  wrapPvmProgram(encodeStandard(assemble(lines.join("\n"))), { name: "t", preemptible: true, build: "test" });
const RET = ["  load_imm a0, 0", "  jump_ind ra, 0"];
/** For entries that make only pure host calls: any use of the host fails the test. */
const noHost = new Proxy({} as HostEnv, {
  get: (_, k) => {
    throw new Error(`unexpected host use: ${String(k)}`);
  },
});

describe("PVM host calls", () => {
  it("self_id, now and gas_left land in a0; input copies the call data; reply is the output", () => {
    const h = createHarness({ now: 77 });
    const a = h.deploy(
      blobOf(
        ".rw",
        "buf: .zero 32",
        ".text",
        ".entry main, call",
        "main:",
        "  jump_ind ra, 0",
        "call:",
        "  move_reg s0, a1", // the input length at entry
        "  load_imm a0, buf+8",
        "  load_imm a1, 16",
        "  ecalli input",
        "  store_u32 a0, buf+4",
        "  store_u32 s0, buf+28",
        "  ecalli self_id",
        "  store_u8 a0, buf",
        "  ecalli now",
        "  store_u8 a0, buf+1",
        "  ecalli gas_left",
        "  store_u64 a0, buf+16",
        "  load_imm a0, buf",
        "  load_imm a1, 32",
        "  ecalli reply",
        ...RET,
      ),
    );
    const out = h.call(a, Uint8Array.of(9, 8, 7), 1_000_000n);
    if (!out.success) throw new Error(JSON.stringify(out.value));
    const v = Buffer.from(out.value);
    expect([v[0], v[1], v.readUInt32LE(4), v[8], v[9], v[10], v.readUInt32LE(28)]).toEqual([
      a,
      77,
      3,
      9,
      8,
      7,
      3,
    ]);
    const left = v.readBigUInt64LE(16);
    expect(left > 990_000n && left < 1_000_000n).toBe(true);
  });

  it("log, and a host call that cannot read its pointer traps", () => {
    const h = createHarness();
    const src = [".ro", 'msg: .string "hello pvm"', ".text", ".entry main, call", "main:"];
    const a = h.deploy(
      blobOf(
        ...src,
        "  load_imm a0, msg",
        "  load_imm a1, 9",
        "  ecalli log",
        "  jump_ind ra, 0",
        "call:",
        "  load_imm a0, 0x500000",
        "  load_imm a1, 4",
        "  ecalli log",
        ...RET,
      ),
    );
    expect(h.service(a)).toMatchObject([{ status: "returned" }]);
    expect(h.logs).toEqual(["hello pvm"]);
    expect(h.call(a, new Uint8Array())).toEqual({ success: false, value: { tag: "Trap", value: undefined } });
  });

  it("input into read-only memory traps the call", () => {
    const h = createHarness();
    const a = h.deploy(
      blobOf(
        ".ro",
        "k: .u64 1",
        ".text",
        ".entry main, call",
        "main:",
        "  jump_ind ra, 0",
        "call:",
        "  load_imm a0, k",
        "  load_imm a1, 8",
        "  ecalli input",
        ...RET,
      ),
    );
    expect(h.call(a, Uint8Array.of(1))).toEqual({ success: false, value: { tag: "Trap", value: undefined } });
  });

  it("yield suspends main after the ecalli; in call it is YieldInCall", () => {
    const h = createHarness();
    const a = h.deploy(
      blobOf(
        ".rw",
        "n: .u64 0",
        ".text",
        ".entry main, call",
        "main:",
        "  load_u64 t0, n",
        "  add_imm_64 t0, t0, 1",
        "  store_u64 t0, n",
        "  ecalli yield",
        "  jump main",
        "call:",
        "  ecalli yield",
        ...RET,
      ),
    );
    expect(h.service(a, 3).map((o) => o.status)).toEqual(["yielded", "yielded", "yielded"]);
    expect(h.call(a, new Uint8Array())).toEqual({
      success: false,
      value: { tag: "YieldInCall", value: undefined },
    });
  });

  it("a host call main cannot pay for ends the Service out-of-gas, the image as before", () => {
    const h = createHarness();
    const a = h.deploy(
      blobOf(
        ".rw",
        "n: .u64 0",
        ".text",
        ".entry main, call",
        "main:",
        "  load_imm t0, 1",
        "  store_u64 t0, n",
        "  ecalli coscheduled",
        "  jump_ind ra, 0",
        "call:",
        ...RET,
      ),
    );
    const before = h.imageHash(a);
    expect(h.service(a, 1, 50n)).toEqual([{ status: "out-of-gas", gasUsed: 50n }]);
    expect(h.imageHash(a)).toEqual(before);
    expect(h.service(a, 1, 10_000n)).toMatchObject([{ status: "returned" }]);
  });

  it("inspectors: payout in a0; an impure host call makes payout 0", () => {
    const h = createHarness();
    const ok = h.deploy(
      blobOf(
        ".entry main, call, payout",
        "main:",
        "  jump_ind ra, 0",
        "call:",
        ...RET,
        "payout:",
        "  add_imm_64 a0, a0, 1000",
        "  jump_ind ra, 0",
      ),
    );
    expect(h.payout(ok)).toBe(1001n); // now (1) + 1000
    const impure = h.deploy(
      blobOf(
        ".ro",
        'm: .string "x"',
        ".text",
        ".entry main, call, payout",
        "main:",
        "  jump_ind ra, 0",
        "call:",
        ...RET,
        "payout:",
        "  load_imm a0, m",
        "  load_imm a1, 1",
        "  ecalli log",
        "  load_imm a0, 5",
        "  jump_ind ra, 0",
      ),
    );
    expect(h.payout(impure)).toBe(0n);
    expect(h.logs).toEqual([]);
  });
});

describe("PVM upgrade entry (jump-table index 4)", () => {
  const src = (upgradeBody: string[]) =>
    blobOf(
      ".rw",
      "buf: .zero 40",
      ".text",
      ".entry main, call, payout, dependencies, upgrade",
      "main:",
      "  jump_ind ra, 0",
      "call:",
      "  load_imm a0, buf",
      "  load_imm a1, 40",
      "  ecalli reply",
      ...RET,
      "payout:",
      "  jump_ind ra, 0",
      "dependencies:",
      "  jump_ind ra, 0",
      "upgrade:",
      ...upgradeBody,
    );

  it("runs on a fresh image with input prev ++ carry; its memory is kept, main pending", () => {
    const engine = createEngine();
    const program = engine.load(
      src(["  load_imm a0, buf", "  load_imm a1, 40", "  ecalli input", "  jump_ind ra, 0"]),
    );
    if (!(program instanceof PvmProgram)) throw new Error("not a PVM program");
    const prev = new Uint8Array(32).fill(0xab) as Uint8Array as CodeHash;
    const r = program.upgradeImage(actorId(3), prev, Uint8Array.of(1, 2, 3), 1_000_000n);
    if (!r.ok) throw new Error(r.reason);
    expect(r.image.status).toBe("pending");
    const inst = program.instantiate(actorId(3), r.image, noHost);
    const out = inst.call(null, new Uint8Array(), 1_000_000n).output;
    if (!out.success) throw new Error(JSON.stringify(out.value));
    expect([...out.value.subarray(30, 36)]).toEqual([0xab, 0xab, 1, 2, 3, 0]);
  });

  it("a trapping upgrade is a refusal, not an error", () => {
    const program = createEngine().load(src(["  trap"])) as PvmProgram;
    const r = program.upgradeImage(
      actorId(3),
      new Uint8Array(32) as Uint8Array as CodeHash,
      new Uint8Array(),
      1000n,
    );
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/^upgrade failed: panic/) });
  });
});
