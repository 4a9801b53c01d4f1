/** Hand-written WAT actors for the engine tests (real Wasm, assembled by Binaryen). */
import { type ActorId, actorId, type CodeHash, type Hash } from "../../src/codec/ids.ts";
import type { CallOutput, Message } from "../../src/codec/types.ts";
import type { HostEnv } from "../../src/vm/engine.ts";

export const IMPORTS = `
  (import "coreplay" "yield" (func $yield))
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "gas_left" (func $gas_left (result i64)))
`;

/** `call` echoes its input; `call` with first byte: 1 = Err(Actor), 2 = trap, 3 = loop forever,
 * 4 = recurse forever, 5 = yield, 6 = grow 1 page and trap, 7 = grow by input[1] pages and reply the
 * result, 8 = write input[1..] at page input[1]... (see each branch). Memory: 2 pages. */
export const ECHO = `(module
  ${IMPORTS}
  (memory (export "memory") 2)
  (global $calls (mut i64) (i64.const 0))
  (global $f (mut f64) (f64.const 1.5))
  (func $rec (param i32) (result i32) (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "main"))
  (func (export "call") (param $origin i64) (result i32) (local $n i32) (local $op i32)
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (global.set $f (f64.mul (global.get $f) (f64.const 2)))
    (local.set $n (call $input (i32.const 1024) (i32.const 4096)))
    (i64.store (i32.const 8) (global.get $calls))
    (local.set $op (i32.load8_u (i32.const 1024)))
    (if (i32.eq (local.get $op) (i32.const 1)) (then
      (call $reply (i32.const 1025) (i32.sub (local.get $n) (i32.const 1)))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 2)) (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 3)) (then (loop $l (br $l))))
    (if (i32.eq (local.get $op) (i32.const 4)) (then (drop (call $rec (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 5)) (then (call $yield)))
    (if (i32.eq (local.get $op) (i32.const 6)) (then
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 131072) (i32.const 7))
      unreachable))
    (if (i32.eq (local.get $op) (i32.const 7)) (then
      (i32.store (i32.const 0) (memory.grow (i32.load8_u (i32.const 1025))))
      (i32.store (i32.const 4) (memory.size))
      (call $reply (i32.const 0) (i32.const 8))
      (return (i32.const 0))))
    ;; 10 addr:u32 stores at addr and returns Ok; 11 addr:u32 stores at addr, then grows memory
    (if (i32.eq (local.get $op) (i32.const 10)) (then
      (i32.store (i32.load align=1 (i32.const 1025)) (i32.const 0xdeadbeef))
      (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 11)) (then
      (i32.store (i32.load align=1 (i32.const 1025)) (i32.const 0))
      (drop (memory.grow (i32.const 1)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 9)) (then
      (i64.store (i32.const 16) (call $gas_left))
      (call $reply (i32.const 16) (i32.const 8))
      (return (i32.const 0))))
    (call $reply (i32.const 1024) (local.get $n))
    (i32.const 0))
  (func (export "payout") (param i64) (result i64)
    (i64.store (i32.const 8) (i64.const 99))
    (i64.add (global.get $calls) (local.get 0)))
  (func (export "dependencies") (param i64)
    (i32.store (i32.const 0) (i32.const 7))
    (i32.store (i32.const 4) (i32.wrap_i64 (local.get 0)))
    (call $reply (i32.const 0) (i32.const 8))))`;

/**
 * A long-running actor: main runs 'rounds' rounds (read from its args as u32, default 40); each round
 * updates globals (i32, i64, f64), writes into 3 pages of memory, recurses 'depth' levels and yields at
 * the bottom. Finishes by writing a checksum.
 */
export const WORKER = `(module
  ${IMPORTS}
  (memory (export "memory") 4)
  (global $a (mut i32) (i32.const 1))
  (global $b (mut i64) (i64.const 7))
  (global $x (mut f64) (f64.const 0.5))
  (func $mix (param $i i32)
    (global.set $a (i32.add (i32.mul (global.get $a) (i32.const 1103515245)) (i32.const 12345)))
    (global.set $b (i64.xor (i64.rotl (global.get $b) (i64.const 13)) (i64.extend_i32_u (global.get $a))))
    (global.set $x (f64.add (f64.mul (global.get $x) (f64.const 1.0001)) (f64.convert_i32_u (local.get $i))))
    (i32.store (i32.and (global.get $a) (i32.const 65532)) (local.get $i))
    (i64.store offset=65536 (i32.and (i32.wrap_i64 (global.get $b)) (i32.const 65528)) (global.get $b))
    (f64.store offset=196608 (i32.shl (i32.and (local.get $i) (i32.const 1023)) (i32.const 3)) (global.get $x)))
  (func $deep (param $d i32) (param $i i32) (result i32) (local $t i64)
    (local.set $t (i64.mul (i64.extend_i32_u (local.get $d)) (global.get $b)))
    (if (result i32) (i32.eqz (local.get $d))
      (then (call $yield) (call $mix (local.get $i)) (i32.const 1))
      (else (i32.add
        (call $deep (i32.sub (local.get $d) (i32.const 1)) (local.get $i))
        (i32.wrap_i64 (i64.shr_u (local.get $t) (i64.const 7)))))))
  (func (export "main") (local $i i32) (local $rounds i32) (local $acc i32)
    (i32.store (i32.const 0) (i32.const 40))
    (drop (call $input (i32.const 0) (i32.const 4)))
    (local.set $rounds (i32.load (i32.const 0)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
      (local.set $acc (i32.add (local.get $acc)
        (call $deep (i32.and (local.get $i) (i32.const 7)) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 4) (local.get $acc)))
  (func (export "call") (param i64) (result i32)
    (call $reply (i32.const 0) (i32.const 8)) (i32.const 0)))`;

/** A compute-only main that never yields: for preemption. 'n' iterations from args (u32). */
export const CRUNCH = `(module
  ${IMPORTS}
  (memory (export "memory") 2)
  (global $s (mut i64) (i64.const 1))
  (func $step (param $i i32)
    (global.set $s (i64.add (i64.mul (global.get $s) (i64.const 6364136223846793005)) (i64.extend_i32_u (local.get $i))))
    (i64.store (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 131064)) (global.get $s)))
  (func (export "main") (local $i i32) (local $n i32)
    (drop (call $input (i32.const 0) (i32.const 4)))
    (local.set $n (i32.load (i32.const 0)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $step (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  (func (export "call") (param i64) (result i32) (i32.const 0)))`;

export const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

/** A HostEnv recording effects, with a fixed co-scheduled set and inbox. */
export function fakeHost(
  self = 1,
  extra: Partial<HostEnv> = {},
): HostEnv & { logs: string[]; sent: Message[] } {
  const logs: string[] = [];
  const sent: Message[] = [];
  const store = new Map<string, Uint8Array>();
  return {
    self: actorId(self) as ActorId,
    now: 42,
    logs,
    sent,
    coscheduled: () => [actorId(3), actorId(self)],
    callActor: (): { output: CallOutput; gasUsed: bigint } => ({
      output: { success: true, value: new Uint8Array([1]) },
      gasUsed: 10n,
    }),
    send(to, data) {
      sent.push({ from: { tag: "Actor", value: actorId(self) }, to, data });
      return 0;
    },
    recv: () => undefined,
    lookup: (h: Hash) => store.get(Buffer.from(h).toString("hex")),
    request: () => 0,
    store(data) {
      const h = new Uint8Array(32).fill(data.byteLength & 0xff) as Hash;
      store.set(Buffer.from(h).toString("hex"), data);
      return { code: 0, hash: h };
    },
    release: () => 0,
    balance: () => 1000n,
    transfer: () => 0,
    setCode: (_h: CodeHash) => 0,
    log: (line) => {
      logs.push(line);
    },
    ...extra,
  };
}
