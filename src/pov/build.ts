/**
 * Building a PoV (what a collator does, DESIGN §8): run a draft agenda, record each Call's output, make
 * the slabs and trim the witness to what the play read. The result validates to the same effects.
 */
import type { ActorId, Hash } from "../codec/ids.ts";
import { encode, Pov, Witness } from "../codec/types.ts";
import type { ActorImage, Engine } from "../vm/engine.ts";
import { PovBuildError } from "./errors.ts";
import { executePlay, type PlayItem } from "./executor.ts";
import { MAX_POV_SIZE } from "./limits.ts";
import { preparePlay } from "./prepare.ts";
import type { CodeSource, PovEffects, RelayView } from "./types.ts";
import { effectsHash } from "./validate.ts";

/** An agenda item of a draft: a Service, or a queued call's input (its output is filled in). */
export type DraftItem =
  | { actor: ActorId; entry: { tag: "Service"; value: { times: number } } }
  | { actor: ActorId; entry: { tag: "Call"; value: { input: Uint8Array } } };

export interface PovDraft {
  view: RelayView;
  /** Co-scheduled actors in slab order, each with its current full image (`pre`). */
  slabs: ReadonlyArray<{
    actor: ActorId;
    pre: Uint8Array /** Default: the view's sequence + 1. */;
    sequence?: bigint;
  }>;
  agenda: readonly DraftItem[];
  /**
   * What the collator can offer: pending postcards per actor (with the pigeonhole head before them) and
   * preimages. Only what the play reads goes into the PoV. Relay parent, block and gas come from `view`.
   */
  witness?: { messages?: Witness["messages"]; preimages?: Witness["preimages"] };
  engine: Engine;
  codes: CodeSource;
}

export interface BuiltPov {
  /** The SCALE-encoded PoV to submit. */
  pov: Uint8Array;
  decoded: Pov;
  effects: PovEffects;
  effectsHash: Hash;
  gasUsed: bigint;
  /** Recipients the view had no room entry for (`send` said `Full`): name them and build again. */
  wanted: ActorId[];
}

/**
 * Executes a draft agenda and returns the PoV that proves it. Throws {@link PovBuildError} (carrying the
 * `InvalidReason` a validator would give) when the draft cannot be valid, e.g. an actor without a
 * Service or an agenda that outruns the core's gas.
 *
 * @example
 * const built = buildPov({ view, engine, codes, slabs: [{ actor, pre }],
 *   agenda: [{ actor, entry: { tag: "Call", value: { input } } }, { actor, entry: { tag: "Service", value: { times: 1 } } }] });
 * submit(built.pov);
 */
export function buildPov(draft: PovDraft): BuiltPov {
  const { view } = draft;
  const sequences = new Map(view.actors.map((a) => [a.actor, a.sequence]));
  const slabs = draft.slabs.map((s) => ({
    actor: s.actor,
    pre: s.pre,
    sequence: s.sequence ?? (sequences.get(s.actor) ?? 0n) + 1n,
  }));
  const witness: Witness = {
    relayParent: view.relayParent,
    now: view.now,
    coreGas: view.coreGas,
    // Offered lists for actors outside the play are dropped; the rest go in canonical (actor) order.
    messages: (draft.witness?.messages ?? [])
      .filter((m) => slabs.some((s) => s.actor === m.actor))
      .sort((a, b) => a.actor - b.actor),
    preimages: draft.witness?.preimages ?? [],
  };
  // a draft item is a play item (a Call without its output): the executor reads the draft's items as they are
  const agenda: readonly PlayItem[] = draft.agenda;
  const prepared = preparePlay({
    view,
    agenda,
    slabs,
    witness,
    codes: draft.codes,
    engine: draft.engine,
    strict: false,
  });
  if (!prepared.ok) throw new PovBuildError(prepared.error);
  const played = executePlay({
    now: view.now,
    nextActor: view.nextActor,
    room: view.room,
    coreGas: view.coreGas,
    callGas: view.callGas,
    actors: prepared.value,
    agenda,
    witness,
  });
  if (!played.ok) {
    throw new PovBuildError(
      played.error,
      played.error.tag === "CoreGasExceeded"
        ? "drop items from the draft: only the last item may use up the core's gas"
        : undefined,
    );
  }
  const { outputs, finals, seen, preimagesUsed, effects, wanted } = played.value;

  const decoded: Pov = {
    agenda: draft.agenda.map((item, index) =>
      item.entry.tag === "Call"
        ? {
            actor: item.actor,
            entry: {
              tag: "Call",
              value: { input: item.entry.value.input, output: outputs[index] as Uint8Array },
            },
          }
        : { actor: item.actor, entry: item.entry },
    ),
    slabs: slabs.map((s, i) => {
      const pre = (prepared.value[i] as { pre: ActorImage }).pre;
      return {
        actor: s.actor,
        sequence: s.sequence,
        pre: s.pre,
        post: (finals[i] as ActorImage).encodeDelta(pre),
      };
    }),
    witness: encode(Witness, {
      ...witness,
      // Only what the play read: validators reject a witness that carries more (see validate.ts).
      messages: witness.messages
        .map((m, i) => ({ ...m, messages: m.messages.slice(0, seen[i]) }))
        .filter((m) => m.messages.length > 0),
      preimages: witness.preimages.filter((_, i) => preimagesUsed[i]),
    }),
  };
  const pov = encode(Pov, decoded);
  if (pov.byteLength > MAX_POV_SIZE) {
    throw new PovBuildError(
      { tag: "Malformed", value: `PoV of ${pov.byteLength} bytes above MAX_POV_SIZE ${MAX_POV_SIZE}` },
      "drop calls from the draft, or offer fewer witness messages",
    );
  }
  let hash: Hash | undefined;
  return {
    pov,
    decoded,
    effects,
    // hashed when asked for (the node does not: its validators hash the effects they find)
    get effectsHash() {
      hash ??= effectsHash(effects);
      return hash;
    },
    gasUsed: effects.gasUsed,
    wanted,
  };
}
