/** Instances handed back with `release()` and reseated by `instantiate` behave exactly as new ones. */
import { beforeEach, describe, expect, it } from "vitest";
import type { ActorId } from "../../src/codec/ids.ts";
import type { HostEnv } from "../../src/vm/engine.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

/**
 * `call(x)`: x = 0 adds 1 to the u64 at 0 and replies it; x = 1 grows memory by a page, writes 7 into
 * the new page's first byte and replies the page count; x = 3 zeroes byte 65536; x = 2 replies the sum
 * of every byte of memory.
 */
const WAT = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32) (local $p i32) (local $sum i32) (local $end i32)
    (drop (call $input (i32.const 64) (i32.const 1)))
    (if (i32.eqz (i32.load8_u (i32.const 64)))
      (then
        (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
        (call $reply (i32.const 0) (i32.const 8))
        (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 1))
      (then
        (i32.store8 (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)) (i32.const 7))
        (i32.store (i32.const 32) (memory.size))
        (call $reply (i32.const 32) (i32.const 4))
        (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 3))
      (then
        (i32.store8 (i32.const 65536) (i32.const 0))
        (call $reply (i32.const 32) (i32.const 0))
        (return (i32.const 0))))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 32) (local.get $sum))
    (call $reply (i32.const 32) (i32.const 4))
    (i32.const 0)))`;

const host = (self: number): HostEnv =>
  ({ self: self as ActorId, now: 0, coscheduled: () => [self as ActorId] }) as unknown as HostEnv;
const GAS = 50_000_000n;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const reply = (o: { output: { success: boolean; value: unknown } }) =>
  o.output.success ? hex(o.output.value as Uint8Array) : "err";

describe("instance reuse", () => {
  const engine = createWasmEngine();
  // A program of its own per test (its name is in the blob, so in the code hash): its spares are its own.
  let program = engine.load(programFromWat(WAT, { name: "reuse" }));
  let zero = program.createImage(new Uint8Array());
  let n = 0;
  beforeEach(() => {
    program = engine.load(programFromWat(WAT, { name: `reuse ${n++}` }));
    zero = program.createImage(new Uint8Array());
  });
  /** An image after `n` increments, made on a fresh instance. */
  const counted = (n: number) => {
    const a = program.instantiate(100 as ActorId, zero, host(100));
    for (let i = 0; i < n; i++) a.call(null, Uint8Array.of(0), GAS);
    return a.snapshot();
  };

  it("reseats a released instance with another image: same replies, gas and image hash as a new one", () => {
    const five = counted(5);
    const used = program.instantiate(1 as ActorId, counted(9), host(1));
    used.call(null, Uint8Array.of(0), GAS);
    used.release();
    const reseated = program.instantiate(2 as ActorId, five, host(2));
    expect(reseated).toBe(used);
    expect(reseated.actor).toBe(2);
    const fresh = program.instantiate(3 as ActorId, five, host(3)); // no spare left: a new instance
    expect(fresh).not.toBe(used);
    for (const input of [0, 2, 0]) {
      const a = reseated.call(null, Uint8Array.of(input), GAS);
      const b = fresh.call(null, Uint8Array.of(input), GAS);
      expect(reply(a)).toBe(reply(b));
      expect(a.gasUsed).toBe(b.gasUsed);
    }
    expect(reply(reseated.call(null, Uint8Array.of(0), GAS))).toBe("0800000000000000");
    expect(reply(fresh.call(null, Uint8Array.of(0), GAS))).toBe("0800000000000000");
    expect(hex(reseated.snapshot().hash)).toBe(hex(fresh.snapshot().hash));
  });

  it("gives an instance released twice to one play only", () => {
    const a = program.instantiate(1 as ActorId, zero, host(1));
    a.release();
    a.release();
    const b = program.instantiate(2 as ActorId, zero, host(2));
    const c = program.instantiate(3 as ActorId, zero, host(3));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("leaves nothing of the previous actor's memory, pages beyond the image included", () => {
    const a = program.instantiate(1 as ActorId, zero, host(1));
    a.call(null, Uint8Array.of(0), GAS);
    a.release();
    const b = program.instantiate(2 as ActorId, zero, host(2));
    expect(b).toBe(a);
    // The byte sum of a zero image's memory is just the input byte (2, read to 64), and the counter
    // starts again at 1.
    expect(reply(b.call(null, Uint8Array.of(2), GAS))).toBe("02000000");
    expect(reply(b.call(null, Uint8Array.of(0), GAS))).toBe("0100000000000000");
  });

  it("does not reseat an instance whose memory grew beyond what the image needs", () => {
    const grown = program.instantiate(1 as ActorId, zero, host(1));
    expect(reply(grown.call(null, Uint8Array.of(1), GAS))).toBe("02000000");
    grown.release();
    const next = program.instantiate(2 as ActorId, zero, host(2));
    expect(next).not.toBe(grown);
    expect(next.pages).toBe(1);
    // Grown from one page, like any new instance: memory holds the 7 written now in the new page, the
    // input byte (2) and the page count (2) written by the grow call.
    expect(reply(next.call(null, Uint8Array.of(1), GAS))).toBe("02000000");
    expect(reply(next.call(null, Uint8Array.of(2), GAS))).toBe("0b000000");
    // A two-page image may take the grown instance.
    const two = next.snapshot();
    next.release();
    const again = program.instantiate(3 as ActorId, two, host(3));
    expect(again === grown || again === next).toBe(true);
    // 7 in page 1, the input byte 2, and the last sum (11) stored at 32: the image, nothing else.
    expect(reply(again.call(null, Uint8Array.of(2), GAS))).toBe("14000000");
  });

  it("zeroes a page the image holds as zero even when the reseated memory had data there", () => {
    // A two-page image whose second page is zero again (an image keeps it as no page at all).
    const a = program.instantiate(1 as ActorId, zero, host(1));
    a.call(null, Uint8Array.of(1), GAS);
    a.call(null, Uint8Array.of(3), GAS);
    const cleared = a.snapshot();
    // A spare with 7 in that page.
    const b = program.instantiate(2 as ActorId, zero, host(2));
    b.call(null, Uint8Array.of(1), GAS);
    a.release();
    b.release();
    const c = program.instantiate(3 as ActorId, cleared, host(3));
    expect(c === a || c === b).toBe(true);
    const d = program.instantiate(4 as ActorId, cleared, host(4));
    expect(reply(c.call(null, Uint8Array.of(2), GAS))).toBe(reply(d.call(null, Uint8Array.of(2), GAS)));
    expect(reply(c.call(null, Uint8Array.of(2), GAS))).not.toContain("err");
  });
  it("reseats the spare that still holds the image asked for before any other, and it goes on as a new instance would", () => {
    const holder = program.instantiate(1 as ActorId, zero, host(1));
    for (let i = 0; i < 3; i++) holder.call(null, Uint8Array.of(0), GAS);
    const three = holder.snapshot();
    holder.call(null, Uint8Array.of(0), 10n); // out of gas: rolled back, still holding `three`
    const other = program.instantiate(2 as ActorId, counted(7), host(2));
    other.release(); // the first spare in line
    holder.release();
    const reseated = program.instantiate(3 as ActorId, three, host(3));
    expect(reseated).toBe(holder);
    const fresh = program.instantiate(4 as ActorId, three, host(4));
    for (const input of [2, 0, 2]) {
      const a = reseated.call(null, Uint8Array.of(input), GAS);
      const b = fresh.call(null, Uint8Array.of(input), GAS);
      expect(reply(a)).toBe(reply(b));
      expect(a.gasUsed).toBe(b.gasUsed);
    }
    expect(reply(reseated.call(null, Uint8Array.of(0), GAS))).toBe("0500000000000000");
    expect(reply(fresh.call(null, Uint8Array.of(0), GAS))).toBe("0500000000000000");
    expect(hex(reseated.snapshot().hash)).toBe(hex(fresh.snapshot().hash));
  });

  it("does not take an instance that committed since its image as holding it", () => {
    const a = program.instantiate(1 as ActorId, zero, host(1));
    a.call(null, Uint8Array.of(0), GAS);
    const one = a.snapshot();
    a.call(null, Uint8Array.of(0), GAS); // the memory moves on to 2
    a.release();
    const b = program.instantiate(2 as ActorId, one, host(2));
    expect(b).toBe(a); // the only spare, reseated with the image's pages
    expect(reply(b.call(null, Uint8Array.of(0), GAS))).toBe("0200000000000000");
  });
});
