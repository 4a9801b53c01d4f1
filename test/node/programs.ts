/** Small real actors in WAT for node tests (the examples need the AssemblyScript toolchain). */

import type { ActorId } from "../../src/codec/ids.ts";
import type { CoreplayNode } from "../../src/node/node.ts";
import { programFromWat } from "../../src/vm/testing.ts";

/** `call(x)`: counter += 1, replies the counter as u64 LE; input 0xff fails with Actor error "no". `main` returns. */
export const counterWat = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "no")
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32)
    (drop (call $input (i32.const 32) (i32.const 1)))
    (if (i32.eq (i32.load8_u (i32.const 32)) (i32.const 255))
      (then (call $reply (i32.const 64) (i32.const 2)) (return (i32.const 1))))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (call $reply (i32.const 0) (i32.const 8))
    (i32.const 0)))`;

/** `main` logs "tick" and yields, 5 times, then returns: a computation that spans blocks. */
export const tickerWat = `(module
  (import "coreplay" "yield" (func $yield))
  (import "coreplay" "log" (func $log (param i32 i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "tick")
  (func (export "main") (local $i i32)
    (loop $l
      (call $log (i32.const 16) (i32.const 4))
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
      (call $yield)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5)))))
  (func (export "call") (param $origin i64) (result i32)
    (call $reply (i32.const 0) (i32.const 4))
    (i32.const 0)))`;

export const counterProgram = () => programFromWat(counterWat, { name: "counter" });
export const tickerProgram = () => programFromWat(tickerWat, { name: "ticker" });

/**
 * Uploads `blob` and creates one actor of it on a node with manual blocks (two blocks: the upload,
 * then the creation); returns the actor's id. `main` has not run yet.
 */
export async function deployProgram(
  node: CoreplayNode,
  blob: Uint8Array,
  endowment = 10n ** 20n,
): Promise<ActorId> {
  const up = node.submit({ tag: "Upload", value: { blob } });
  await node.produceBlock();
  const { codeHash } = await up;
  const made = node.submit({
    tag: "Create",
    value: { codeHash: codeHash!, args: new Uint8Array(), endowment },
  });
  await node.produceBlock();
  return (await made).actor as ActorId;
}

/**
 * Uploads the counter program and creates `n` counter actors on a node with manual blocks; returns
 * their ids once each actor's `main` has run (three blocks).
 */
export async function deployCounters(node: CoreplayNode, n: number): Promise<ActorId[]> {
  const code = node.submit({ tag: "Upload", value: { blob: counterProgram() } });
  await node.produceBlock();
  const { codeHash } = await code;
  const creates = Array.from({ length: n }, () =>
    node.submit({
      tag: "Create",
      value: { codeHash: codeHash!, args: new Uint8Array(), endowment: 10n ** 20n },
    }),
  );
  await node.produceBlock();
  const actors = (await Promise.all(creates)).map((r) => r.actor as ActorId);
  await node.produceBlock(); // main runs once
  return actors;
}
