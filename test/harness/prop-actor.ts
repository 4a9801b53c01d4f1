/**
 * A real Wasm actor for the harness-vs-chain property test: a u32 counter at address 0 and one op per
 * effect the executor and canonicalisation know (calls, postcards, payments, disk, set_code). Two
 * versions (`main` adds 100 or 200 per Service) so `set_code` has somewhere to go; each exports
 * `upgrade`, which takes the carried counter + 1, and traps when that is a multiple of 3 (a refused
 * upgrade).
 */
import { programFromWat } from "../../src/vm/testing.ts";
import { opActorWat } from "../pov/wat.ts";

export const P = {
  inc: 1,
  fail: 2,
  trap: 3,
  spin: 4,
  yieldInCall: 5,
  callActor: 6,
  send: 7,
  recv: 8,
  lookup: 9,
  transfer: 12,
  callThenTrap: 14,
  setCode: 15,
  store: 16,
  request: 17,
  release: 18,
} as const;

const wat = (step: number) =>
  opActorWat({
    step,
    ops: Object.values(P),
    inputMax: 1024,
    logOp: true,
    extraImports: `(import "coreplay" "set_code" (func $set_code (param i32 i32 i32) (result i32)))
  (import "coreplay" "store" (func $store (param i32 i32 i32) (result i32)))
  (import "coreplay" "request" (func $request (param i32) (result i32)))
  (import "coreplay" "release" (func $release (param i32) (result i32)))`,
    beforeCall: `(func (export "upgrade")
    (drop (call $input (i32.const 3000) (i32.const 64)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 3032)) (i32.const 1)))
    (if (i32.eqz (i32.rem_u (i32.load (i32.const 0)) (i32.const 3))) (then unreachable)))
  (func (export "payout") (param $now i64) (result i64)
    (i64.extend_i32_u (i32.rem_u (i32.load (i32.const 0)) (i32.const 7))))`,
  });

/** The two versions' program blobs. */
export const propBlobs = (): [Uint8Array, Uint8Array] => [
  programFromWat(wat(100), { name: "prop-a" }),
  programFromWat(wat(200), { name: "prop-b" }),
];
