/**
 * A real Wasm actor for the harness-vs-chain property test: a u32 counter at address 0 and one op per
 * effect the executor and canonicalisation know (calls, postcards, payments, disk, set_code). Two
 * versions (`main` adds 100 or 200 per Service) so `set_code` has somewhere to go; each exports
 * `upgrade`, which takes the carried counter + 1, and traps when that is a multiple of 3 (a refused
 * upgrade).
 */
import { programFromWat } from "../../src/vm/testing.ts";

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

const wat = (step: number) => `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "result" (func $result (param i32 i32) (result i32)))
  (import "coreplay" "yield" (func $yield))
  (import "coreplay" "call_actor" (func $call_actor (param i32 i32 i32) (result i32)))
  (import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "coreplay" "recv" (func $recv (result i32)))
  (import "coreplay" "lookup" (func $lookup (param i32) (result i32)))
  (import "coreplay" "transfer" (func $transfer (param i32 i32) (result i32)))
  (import "coreplay" "set_code" (func $set_code (param i32 i32 i32) (result i32)))
  (import "coreplay" "store" (func $store (param i32 i32 i32) (result i32)))
  (import "coreplay" "request" (func $request (param i32) (result i32)))
  (import "coreplay" "release" (func $release (param i32) (result i32)))
  (import "coreplay" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func $bump (param $d i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $d))))
  (func $ok (param $v i32) (result i32)
    (i32.store (i32.const 16) (local.get $v))
    (call $reply (i32.const 16) (i32.const 4))
    (i32.const 0))
  (func (export "main")
    (loop $forever
      (call $bump (i32.const ${step}))
      (call $yield)
      (br $forever)))
  (func (export "upgrade")
    (drop (call $input (i32.const 3000) (i32.const 64)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 3032)) (i32.const 1)))
    (if (i32.eqz (i32.rem_u (i32.load (i32.const 0)) (i32.const 3))) (then unreachable)))
  (func (export "payout") (param $now i64) (result i64)
    (i64.extend_i32_u (i32.rem_u (i32.load (i32.const 0)) (i32.const 7))))
  (func (export "call") (param $origin i64) (result i32)
    (local $len i32) (local $op i32) (local $r i32)
    (local.set $len (call $input (i32.const 1024) (i32.const 1024)))
    (local.set $op (i32.load8_u (i32.const 1024)))
    (call $log (i32.const 1024) (i32.const 1))
    (if (i32.eq (local.get $op) (i32.const 1)) (then
      (call $bump (i32.const 1))
      (return (call $ok (i32.load (i32.const 0))))))
    (if (i32.eq (local.get $op) (i32.const 2)) (then
      (call $bump (i32.const 1))
      (drop (call $ok (i32.const 7)))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 3)) (then
      (call $bump (i32.const 1))
      (unreachable)))
    (if (i32.eq (local.get $op) (i32.const 4)) (then
      (loop $spin (call $bump (i32.const 1)) (br $spin))))
    (if (i32.eq (local.get $op) (i32.const 5)) (then
      (call $bump (i32.const 1))
      (call $yield)
      (return (call $ok (i32.const 5)))))
    (if (i32.eq (local.get $op) (i32.const 6)) (then
      (local.set $r (call $call_actor (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5))))
      (call $bump (i32.const 1))
      (i32.store (i32.const 20) (i32.const 0))
      (drop (call $result (i32.const 20) (i32.const 4)))
      (i32.store (i32.const 16) (local.get $r))
      (call $reply (i32.const 16) (i32.const 8))
      (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 7)) (then
      (return (call $ok (call $send (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5)))))))
    (if (i32.eq (local.get $op) (i32.const 8)) (then
      (local.set $r (call $recv))
      (if (i32.ge_s (local.get $r) (i32.const 0)) (then (call $bump (i32.const 1000))))
      (return (call $ok (local.get $r)))))
    (if (i32.eq (local.get $op) (i32.const 9)) (then
      (local.set $r (call $lookup (i32.const 1025)))
      (if (i32.ge_s (local.get $r) (i32.const 0)) (then
        (drop (call $result (i32.const 2048) (i32.const 64)))
        (call $bump (i32.load8_u (i32.const 2048)))))
      (return (call $ok (local.get $r)))))
    (if (i32.eq (local.get $op) (i32.const 12)) (then
      (return (call $ok (call $transfer (i32.load (i32.const 1025)) (i32.const 1029))))))
    (if (i32.eq (local.get $op) (i32.const 14)) (then
      (drop (call $call_actor (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5))))
      (unreachable)))
    (if (i32.eq (local.get $op) (i32.const 15)) (then
      (return (call $ok (call $set_code (i32.const 1025) (i32.const 0) (i32.const 4))))))
    (if (i32.eq (local.get $op) (i32.const 16)) (then
      (return (call $ok (call $store (i32.const 1025) (i32.sub (local.get $len) (i32.const 1)) (i32.const 2048))))))
    (if (i32.eq (local.get $op) (i32.const 17)) (then
      (return (call $ok (call $request (i32.const 1025))))))
    (if (i32.eq (local.get $op) (i32.const 18)) (then
      (return (call $ok (call $release (i32.const 1025))))))
    (call $ok (i32.const -1)))
)`;

/** The two versions' program blobs. */
export const propBlobs = (): [Uint8Array, Uint8Array] => [
  programFromWat(wat(100), { name: "prop-a" }),
  programFromWat(wat(200), { name: "prop-b" }),
];
