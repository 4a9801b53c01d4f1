/**
 * Actors that call each other (`call_actor`) run on one native stack, so they share one call-depth
 * budget: a callee starts at its caller's depth rather than at 0. Otherwise each of n nested actors could
 * recurse to the full limit and n × `maxCallDepth` frames could overflow V8's stack, whose size differs
 * between threads: a non-deterministic trap (DESIGN §6, docs/decisions.md).
 */
let ambient = 0;

/** Runs `fn` (a nested `call_actor`) with `depth` as the depth callees start from. */
export function withCallerDepth<T>(depth: number, fn: () => T): T {
  const saved = ambient;
  ambient = depth;
  try {
    return fn();
  } finally {
    ambient = saved;
  }
}

/** The depth a `call` entry starts from: 0 at the top, the caller's depth inside `call_actor`. */
export function callerDepth(): number {
  return ambient;
}
