/**
 * Compute kernels for the engine bench, as one actor program: `call` reads `[kernel: u8, n: u32]` from
 * its input and replies the kernel's u32 result. The same module runs plain (no instrumentation, stub
 * imports) and through the engine, so the ratio measures only the instrumentation.
 */
export const KERNELS = `(module
  (import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (memory (export "memory") 200)
  ;; tight loop: an LCG/xorshift mix, n iterations
  (func $loop (param $n i32) (result i32) (local $x i32) (local $i i32)
    (local.set $x (i32.const 2463534242))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.add (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $x))
  ;; recursive fib
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  ;; sieve of Eratosthenes over n bytes at 65536, marking through a helper
  (func $mark (param $i i32) (i32.store8 offset=65536 (local.get $i) (i32.const 1)))
  (func $sieve (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 65536) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
      (if (i32.eqz (i32.load8_u offset=65536 (local.get $i))) (then
        (local.set $j (i32.mul (local.get $i) (local.get $i)))
        (block $jd (loop $inner
          (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))
          (call $mark (local.get $j))
          (local.set $j (i32.add (local.get $j) (local.get $i)))
          (br $inner)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.set $i (i32.const 2))
    (block $cd (loop $count
      (br_if $cd (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $count (i32.add (local.get $count) (i32.eqz (i32.load8_u offset=65536 (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $count)))
    (local.get $count))
  ;; memory-heavy: bubble-free insertion of a pseudo-random i32 array (n elements), checksum
  (func $sort (param $n i32) (result i32) (local $i i32) (local $j i32) (local $v i32) (local $x i32)
    (local.set $x (i32.const 12345))
    (block $fd (loop $fill
      (br_if $fd (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store offset=65536 (i32.shl (local.get $i) (i32.const 2)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $i (i32.const 1))
    (block $od (loop $outer
      (br_if $od (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (i32.load offset=65536 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $j (local.get $i))
      (block $id (loop $inner
        (br_if $id (i32.eqz (local.get $j)))
        (br_if $id (i32.le_s (i32.load offset=65532 (i32.shl (local.get $j) (i32.const 2))) (local.get $v)))
        (i32.store offset=65536 (i32.shl (local.get $j) (i32.const 2))
          (i32.load offset=65532 (i32.shl (local.get $j) (i32.const 2))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $inner)))
      (i32.store offset=65536 (i32.shl (local.get $j) (i32.const 2)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (i32.load offset=65536 (i32.shl (i32.shr_u (local.get $n) (i32.const 1)) (i32.const 2))))
  (func (export "main"))
  (func (export "call") (param i64) (result i32) (local $k i32) (local $n i32) (local $r i32)
    (drop (call $input (i32.const 0) (i32.const 5)))
    (local.set $k (i32.load8_u (i32.const 0)))
    (local.set $n (i32.load offset=1 align=1 (i32.const 0)))
    (local.set $r
      (if (result i32) (i32.eqz (local.get $k)) (then (call $loop (local.get $n)))
        (else (if (result i32) (i32.eq (local.get $k) (i32.const 1)) (then (call $fib (local.get $n)))
          (else (if (result i32) (i32.eq (local.get $k) (i32.const 2)) (then (call $sieve (local.get $n)))
            (else (call $sort (local.get $n)))))))))
    (i32.store (i32.const 8) (local.get $r))
    (call $reply (i32.const 8) (i32.const 4))
    (i32.const 0)))`;

/** Kernel id and size (tuned for ~50–150 ms plain on the reference machine). */
export const KERNEL_RUNS: Array<{ name: string; id: number; n: number }> = [
  { name: "loop", id: 0, n: 60_000_000 },
  { name: "fib", id: 1, n: 32 },
  { name: "sieve", id: 2, n: 8_000_000 },
  { name: "sort", id: 3, n: 16_000 },
];
