/**
 * A tiny real actor for the dashboard tests, from WAT: `main` logs "ready" and returns (so the actor
 * sleeps backstage until called); `call` logs its input and replies with it (an echo).
 */
import { programFromWat } from "../../src/vm/testing.ts";

export const ECHO_WAT = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ready")
  (func (export "main")
    (call $log (i32.const 0) (i32.const 5)))
  (func (export "call") (param i64) (result i32)
    (local $n i32)
    (local.set $n (call $input (i32.const 1024) (i32.const 4096)))
    (if (i32.gt_u (local.get $n) (i32.const 4096)) (then (local.set $n (i32.const 4096))))
    (call $log (i32.const 1024) (local.get $n))
    (call $reply (i32.const 1024) (local.get $n))
    (i32.const 0)))`;

/** The echo actor as a program blob (what `coreplay build` writes to a .cpl file). */
export const echoProgram = (): Uint8Array => programFromWat(ECHO_WAT, { name: "echo" });
