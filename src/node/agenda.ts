/**
 * The order of a core's draft agenda (issue 18): every actor's queued calls first, then one Service
 * per actor. A Service resumes `main` with whatever the core has left, and a busy `main` (one that
 * loops on `checkpoint()`) spends that down to the checkpoint threshold, so calls placed after it
 * would share the 2·10⁶ gas it leaves. Placed first, each call gets `min(callGas, left)` as if the
 * actor were idle; `main` runs on what the calls leave. A collator's policy, not consensus.
 */
import type { ActorId } from "../codec/ids.ts";
import type { DraftItem } from "../pov/build.ts";

type CallItem = Extract<DraftItem, { entry: { tag: "Call" } }>;

/**
 * Calls first (each actor's in queue order, actors in slab order), then a Service per actor. At most
 * `maxItems` items in all: the Services always fit, calls take what is left of the budget.
 *
 * @example callsBeforeServices([1, 2], (a, max) => chain.pendingInputs(a, max), 4096)
 */
export function callsBeforeServices(
  actors: readonly ActorId[],
  inputs: (actor: ActorId, max: number) => readonly Uint8Array[],
  maxItems: number,
): DraftItem[] {
  let budget = maxItems - actors.length;
  const calls: CallItem[] = [];
  for (const actor of actors) {
    if (budget <= 0) break;
    for (const input of inputs(actor, budget)) {
      calls.push({ actor, entry: { tag: "Call", value: { input } } });
      budget--;
    }
  }
  const services: DraftItem[] = actors.map((actor) => ({
    actor,
    entry: { tag: "Service", value: { times: 1 } },
  }));
  return [...calls, ...services];
}

/** How many `Call` items a draft has. */
export function callCount(agenda: readonly DraftItem[]): number {
  let n = 0;
  for (const item of agenda) if (item.entry.tag === "Call") n++;
  return n;
}

/**
 * The draft with only its first `keep` calls (and every Service). Calls are dropped from the back, so
 * what each actor keeps is still a prefix of its queue (the chain dequeues in order).
 */
export function keepFirstCalls(agenda: readonly DraftItem[], keep: number): DraftItem[] {
  let calls = 0;
  return agenda.filter((item) => item.entry.tag !== "Call" || calls++ < keep);
}
