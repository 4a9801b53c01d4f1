/**
 * Loop metering (DESIGN §6): a loop's body is charged at its header; innermost small loops are unrolled
 * once so the check runs every other trip; loops with hoisted stores (hoist.ts) get their entry code;
 * preemptible loops branch out to a preempt call when gas runs out. Pure code generation.
 */
import binaryen from "binaryen";
import { charge, type FunctionContext, flush, freshLocal, local, prefix, reload } from "./context.ts";
import type { HoistedStore } from "./hoist.ts";
import { retarget, uniqueCopy } from "./labels.ts";
import { F_FLUSH, F_PREEMPT, G_PAGES, hoistGlobal, i64c } from "./names.ts";
import { childSlots, type ExpressionRef, forEachExpression, type Slot, X } from "./walk.ts";

/** Processes the expression in a slot and everything under it; returns its static cost (metering.ts). */
export type Segment = (fc: FunctionContext, slot: Slot) => number;

/** Loops worth unrolling: no loop inside, and a small body (code size doubles). */
const UNROLL_MAX_EXPRESSIONS = 48;
function inner(loop: ExpressionRef): boolean {
  let count = 0;
  let nested = false;
  forEachExpression(X.Loop.getBody(loop), (e) => {
    count++;
    if (binaryen.getExpressionId(e) === binaryen.LoopId) nested = true;
  });
  return !nested && count <= UNROLL_MAX_EXPRESSIONS;
}

/** Every expression under `root` that has a loop somewhere under it (one post-order walk). */
export function expressionsWithLoops(root: ExpressionRef): Set<ExpressionRef> {
  const found = new Set<ExpressionRef>();
  const visit = (e: ExpressionRef): boolean => {
    let has = binaryen.getExpressionId(e) === binaryen.LoopId;
    for (const s of childSlots(e)) if (visit(s.get())) has = true;
    if (has) found.add(e);
    return has;
  };
  visit(root);
  return found;
}

/**
 * A preemptible loop (or hoisted loop, with its entry code) whose header never calls out. Out of gas
 * at the header branches out to `preempted` (undoing the charge: meterLoop), past the loop to a
 * preempt call; the resumed code re-enters from the top (re-running a hoisted loop's entry code):
 *
 *     block $done { loop $resume { block $preempted { loop $l { if (gas - c < 0) br $preempted; …body } br $done }
 *                                  preempt(); br $resume } }
 *
 * Asyncify guards each stretch of code between its call points with a check of its state; a call
 * inside the loop would put those checks in every iteration, while a loop free of calls is guarded
 * once, outside it (DESIGN §6: preemptible overhead).
 */
export function preemptibleLoop(fc: FunctionContext, loop: ExpressionRef, preempted: string): ExpressionRef {
  const mod = fc.run.mod;
  const n = fc.run.labels++;
  const done = `__cp_done${n}`;
  const resume = `__cp_resume${n}`;
  const type = binaryen.getExpressionType(loop);
  const leave =
    type === binaryen.unreachable
      ? loop
      : type === binaryen.none
        ? mod.block(null, [loop, mod.br(done)], binaryen.unreachable)
        : mod.br(done, 0, loop);
  const again = mod.loop(
    resume,
    mod.block(
      null,
      [
        mod.block(preempted, [leave], binaryen.none),
        ...flush(fc),
        mod.call(F_PREEMPT, [], binaryen.none),
        ...reload(fc),
        mod.br(resume),
      ],
      binaryen.unreachable,
    ),
  );
  return type === binaryen.unreachable ? again : mod.block(done, [again], type);
}

/**
 * A loop with its body charged at the header. With `preempt` (preemptible programs), running out
 * branches to that label with the charge undone instead of calling out (see {@link preemptibleLoop}).
 */
export function meterLoop(
  fc: FunctionContext,
  segment: Segment,
  loop: ExpressionRef,
  preempt?: string,
): ExpressionRef {
  const mod = fc.run.mod;
  const body = { get: () => X.Loop.getBody(loop), set: (c: ExpressionRef) => X.Loop.setBody(loop, c) };
  const type = binaryen.getExpressionType(loop);
  const unroll = fc.metered && (type === binaryen.none || type === binaryen.unreachable) && inner(loop);
  const cost = segment(fc, body);
  let check: ExpressionRef[];
  if (preempt === undefined || cost === 0) check = charge(fc, cost);
  else {
    const i64 = binaryen.i64;
    const g = local(fc, "gas", i64);
    check = [
      mod.if(
        mod.i64.lt_s(
          mod.local.tee(g, mod.i64.sub(mod.local.get(g, i64), i64c(mod, cost)), i64),
          i64c(mod, 0),
        ),
        mod.block(null, [
          mod.local.set(g, mod.i64.add(mod.local.get(g, i64), i64c(mod, cost))),
          mod.br(preempt),
        ]),
      ),
    ];
  }
  if (unroll && cost > 0) return unrolled(fc, loop, check, cost);
  body.set(prefix(fc, check, body.get()));
  return loop;
}

/**
 * An innermost loop with two copies of its body per trip, so the gas check runs every other
 * iteration: the second copy only subtracts its cost (gas may then go one iteration's cost below
 * zero before the next check, which layout.ts allows). Gas used is exactly as without unrolling.
 *
 *     block $x { loop $l { check; block $m { body[br $l → br $m]; br $x }; gas -= cost; body } }
 */
function unrolled(
  fc: FunctionContext,
  loop: ExpressionRef,
  check: ExpressionRef[],
  cost: number,
): ExpressionRef {
  const mod = fc.run.mod;
  const i64 = binaryen.i64;
  const g = local(fc, "gas", i64);
  const type = binaryen.getExpressionType(loop);
  const label = X.Loop.getName(loop) as string | null;
  const n = fc.run.labels++;
  const next = `__cp_next${n}`;
  const exit = `__cp_exit${n}`;
  const second = X.Loop.getBody(loop);
  const first = uniqueCopy(fc.run, second);
  if (label) retarget(first, new Map([[label, next]]));
  const falls = binaryen.getExpressionType(second) !== binaryen.unreachable;
  X.Loop.setBody(
    loop,
    mod.block(
      null,
      [
        ...check,
        mod.block(next, falls ? [first, mod.br(exit)] : [first], binaryen.none),
        mod.local.set(g, mod.i64.sub(mod.local.get(g, i64), i64c(mod, cost))),
        second,
      ],
      binaryen.getExpressionType(second),
    ),
  );
  if (type !== binaryen.none) return loop;
  return mod.block(exit, [loop], binaryen.none);
}

/**
 * A loop with hoisted stores (hoist.ts): at entry, flush the slots and record each store's address
 * at entry; each store then records its address in its slot instead of marking. A store whose
 * addresses decrease must start in bounds (else its first store could be the one out of bounds): if
 * not, a copy of the loop with a mark per store runs instead.
 */
export function hoistedLoop(
  fc: FunctionContext,
  segment: Segment,
  loop: ExpressionRef,
  plan: HoistedStore[],
  preempt?: string,
): ExpressionRef {
  fc.run.hoistedLoops++;
  const mod = fc.run.mod;
  const type = binaryen.getExpressionType(loop);
  const i32 = binaryen.i32;
  const facts = plan.map((h) => ({
    start: mod.copyExpression(h.ptr),
    last: (X.Store.getOffset(h.store) as number) + (X.Store.getBytes(h.store) as number) - 1,
    offset: X.Store.getOffset(h.store) as number,
    dir: h.dir,
    // A step read from a local: its value times the pointer's coefficient, kept in a fresh local.
    step: h.step && {
      value: mod.i32.mul(mod.local.get(h.step.local, i32), mod.i32.const(h.step.a)),
      local: freshLocal(fc, i32),
    },
  }));
  const slow = plan.some((h) => h.dir <= 0) ? uniqueCopy(fc.run, loop) : undefined;
  fc.hoisting = new Map(plan.map((h, k) => [h.store, k]));
  const fast = meterLoop(fc, segment, loop, preempt);
  fc.hoisting = undefined;
  const entry: ExpressionRef[] = [...flush(fc), mod.call(F_FLUSH, [], binaryen.none), ...reload(fc)];
  facts.forEach((f, k) => {
    entry.push(
      mod.global.set(hoistGlobal(k, "lo"), f.start),
      mod.global.set(hoistGlobal(k, "off"), mod.i32.const(f.offset | 0)),
      mod.global.set(hoistGlobal(k, "last"), mod.i32.const(f.last | 0)),
    );
    if (f.step === undefined) entry.push(mod.global.set(hoistGlobal(k, "dir"), mod.i32.const(f.dir)));
    else {
      const step = () => mod.local.get(f.step!.local, i32);
      entry.push(
        mod.local.set(f.step.local, f.step.value),
        mod.global.set(
          hoistGlobal(k, "dir"),
          mod.select(mod.i32.lt_s(step(), mod.i32.const(0)), mod.i32.const(-1), mod.i32.const(1)),
        ),
      );
    }
  });
  if (slow === undefined) return mod.block(null, [...entry, fast], type);
  // Descending stores must start in bounds; steps read from locals must be at most a page.
  const inBounds = (f: (typeof facts)[number], k: number) =>
    mod.i64.lt_u(
      mod.i64.add(mod.i64.extend_u(mod.global.get(hoistGlobal(k, "lo"), i32)), i64c(mod, f.last)),
      mod.i64.shl(mod.i64.extend_u(mod.global.get(G_PAGES, i32)), i64c(mod, 16)),
    );
  const startsInBounds = facts
    .map((f, k) => {
      if (f.step === undefined) return f.dir > 0 ? mod.i32.const(1) : inBounds(f, k);
      const step = () => mod.local.get(f.step!.local, i32);
      return mod.i32.and(
        mod.i32.le_u(mod.i32.add(step(), mod.i32.const(65536)), mod.i32.const(131072)),
        mod.i32.or(mod.i32.ge_s(step(), mod.i32.const(0)), inBounds(f, k)),
      );
    })
    .reduce((x, y) => mod.i32.and(x, y));
  return mod.block(
    null,
    [...entry, mod.if(startsInBounds, fast, meterLoop(fc, segment, slow, preempt))],
    type,
  );
}
