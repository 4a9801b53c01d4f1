/**
 * docs/abi.md §7 (issue 12 §3): a program whose creation code cannot finish is refused at upload with
 * INIT_FAILED, run with its gas bound (INIT_GAS), so no code is stored and no deposit reserved.
 */
import { describe, expect, it } from "vitest";
import { createChain, createMemoryStorage } from "../../src/chain/index.ts";
import type { CodeHash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { alice, collator, testConfig, tx } from "./helpers.ts";

const engine = createWasmEngine();
const config = { ...testConfig, maxCodeSize: 64 * 1024 };

const actor = (extra: string, imports = "") => `(module ${imports}
  (memory (export "memory") 1)
  (func (export "main"))
  (func (export "call") (param i64) (result i32) (i32.const 0))
  ${extra})`;

const CASES: Array<[string, string, string?]> = [
  ["a start function that traps", `(func $s unreachable) (start $s)`],
  ["an _initialize that traps", `(func (export "_initialize") (i32.store (i32.const 70000) (i32.const 1)))`],
  ["an _initialize that loops forever", `(func (export "_initialize") (loop $l (br $l)))`],
  ["a start function that loops forever", `(func $s (loop $l (br $l))) (start $s)`],
  // creation code may not use imports (docs/abi.md §2)
  [
    "an _initialize that calls an import",
    `(func (export "_initialize") (call $log (i32.const 0) (i32.const 1)))`,
    `(import "coreplay" "log" (func $log (param i32 i32)))`,
  ],
];

describe("upload runs creation code", () => {
  for (const preemptible of [false, true]) {
    for (const [what, extra, imports] of CASES) {
      it(`refuses ${what} with INIT_FAILED (${preemptible ? "preemptible" : "cooperative"}), storing nothing`, () => {
        const chain = createChain({ storage: createMemoryStorage(), engine, config });
        const blob = programFromWat(actor(extra, imports), { preemptible });
        const before = chain.account(alice.publicKey);
        const r = chain.applyBlock({
          txs: [tx(chain, alice, { tag: "Upload", value: { blob } })],
          author: collator.publicKey,
        });
        const res = r.txs[0].result;
        expect(res.ok).toBe(false);
        if (res.ok) return;
        expect(res.error.code).toBe("TX_BAD_PROGRAM");
        expect(res.error.details).toMatch(/^INIT_FAILED: /);
        expect(chain.codeInfo(blake2b256(blob) as Uint8Array as CodeHash)).toBeUndefined();
        expect(chain.account(alice.publicKey).reserved).toBe(before.reserved);
      });
    }
  }

  it("accepts creation code that finishes within its gas, and Create then starts from its image", () => {
    const chain = createChain({ storage: createMemoryStorage(), engine, config });
    const blob = programFromWat(
      actor(`(func $s (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))
        (i32.store (i32.const 0) (local.get $i))) (start $s)`),
    );
    const up = chain.applyBlock({
      txs: [tx(chain, alice, { tag: "Upload", value: { blob } })],
      author: collator.publicKey,
    });
    expect(up.txs[0].result.ok).toBe(true);
    const codeHash = blake2b256(blob) as Uint8Array as CodeHash;
    const r = chain.applyBlock({
      txs: [tx(chain, alice, { tag: "Create", value: { codeHash, args: new Uint8Array(), endowment: 0n } })],
      author: collator.publicKey,
    });
    expect(r.txs[0].result.ok).toBe(true);
  });
});
