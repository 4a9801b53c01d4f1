/**
 * The static validity rules of DESIGN §4 (1–3), the view lookups and the witness shape: everything that
 * can be checked before executing anything. Shared by `build` and `validate` so both judge alike.
 */
import type { ActorId } from "../codec/ids.ts";
import type { Witness } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { err, ok, type Result } from "../errors.ts";
import type { Engine, Program } from "../vm/engine.ts";
import type { PlayActor, PlayItem } from "./executor.ts";
import {
  MAX_AGENDA_ITEMS,
  MAX_COSCHEDULED,
  MAX_MESSAGE_SIZE,
  MAX_PREIMAGE_SIZE,
  MAX_WITNESS_ITEMS,
} from "./limits.ts";
import type { CodeSource, InvalidReason, RelayView } from "./types.ts";

export interface SlabInput {
  actor: ActorId;
  sequence: bigint;
  pre: Uint8Array;
}

export interface PrepareInput {
  view: RelayView;
  agenda: readonly PlayItem[];
  slabs: readonly SlabInput[];
  witness: Witness;
  codes: CodeSource;
  engine: Engine;
  /** Validators also reject empty message lists in the witness (a built PoV never has one). */
  strict: boolean;
}

const bad = (tag: InvalidReason["tag"], value: string): Result<never, InvalidReason> =>
  err({ tag, value } as InvalidReason);

/**
 * Checks rules 1–3, the view and the witness shape, loads each actor's program and decodes its `pre`.
 *
 * @example const r = preparePlay({ view, agenda, slabs, witness, codes, engine, strict: true });
 */
export function preparePlay(input: PrepareInput): Result<PlayActor[], InvalidReason> {
  const { view, agenda, slabs, witness } = input;
  if (agenda.length === 0) return bad("AgendaMismatch", "empty agenda");
  if (agenda.length > MAX_AGENDA_ITEMS) return bad("AgendaMismatch", `more than ${MAX_AGENDA_ITEMS} items`);

  // Rule 1: each actor the agenda names has at least one Service that runs main at least once.
  const named = new Set<ActorId>();
  const serviced = new Set<ActorId>();
  for (const item of agenda) {
    named.add(item.actor);
    if (item.entry.tag === "Service" && item.entry.value.times >= 1) serviced.add(item.actor);
  }
  for (const actor of named) {
    if (!serviced.has(actor)) return bad("AgendaMismatch", `actor ${actor} has no Service`);
  }

  // Rule 2: exactly one slab per actor of the agenda.
  if (slabs.length > MAX_COSCHEDULED) return bad("SlabMismatch", `more than ${MAX_COSCHEDULED} slabs`);
  const slabbed = new Set<ActorId>();
  for (const slab of slabs) {
    if (slabbed.has(slab.actor)) return bad("SlabMismatch", `duplicate slab for actor ${slab.actor}`);
    slabbed.add(slab.actor);
    if (!named.has(slab.actor)) return bad("SlabMismatch", `extra slab for actor ${slab.actor}`);
  }
  for (const actor of named) {
    if (!slabbed.has(actor)) return bad("SlabMismatch", `missing slab for actor ${actor}`);
  }

  const views = new Map(view.actors.map((a) => [a.actor, a]));
  const actors: PlayActor[] = [];
  const programs = new Map<string, Program>();
  for (const slab of slabs) {
    const known = views.get(slab.actor);
    if (!known) return err({ tag: "UnknownActor", value: slab.actor });
    // Rule 3: the slab is ahead of the actor (pipelined PoVs may be further ahead than +1).
    if (slab.sequence <= known.sequence) return err({ tag: "StaleSequence", value: slab.actor });
    const key = Buffer.from(known.codeHash).toString("hex");
    let program = programs.get(key);
    if (!program) {
      const blob = input.codes.code(known.codeHash);
      if (!blob) return err({ tag: "UnknownCode", value: known.codeHash });
      try {
        program = input.engine.load(blob);
      } catch {
        // Uploads are checked by `chain`; a stored program the engine refuses is as good as absent.
        return err({ tag: "UnknownCode", value: known.codeHash });
      }
      programs.set(key, program);
    }
    let pre: PlayActor["pre"];
    try {
      pre = program.decodeImage(slab.pre);
    } catch {
      return bad("BadImage", `actor ${slab.actor}: pre does not decode as an image of its program`);
    }
    actors.push({ actor: slab.actor, sequence: slab.sequence, program, pre, balance: known.balance });
  }

  const shape = checkWitness(witness, view, slabbed, input.strict);
  if (shape) return bad("BadWitness", shape);
  return ok(actors);
}

/** The witness must agree with the view and be in canonical order; returns what is wrong, if anything. */
function checkWitness(
  witness: Witness,
  view: RelayView,
  actors: ReadonlySet<ActorId>,
  strict: boolean,
): string | undefined {
  if (!Buffer.from(witness.relayParent).equals(Buffer.from(view.relayParent))) return "relay parent differs";
  if (witness.now !== view.now) return "relay block number differs";
  if (witness.coreGas !== view.coreGas) return "core gas differs";
  if (witness.messages.length > MAX_WITNESS_ITEMS || witness.preimages.length > MAX_WITNESS_ITEMS) {
    return `more than ${MAX_WITNESS_ITEMS} entries`;
  }
  let last = -1;
  for (const entry of witness.messages) {
    if (entry.actor <= last) return "message lists not in ascending actor order";
    last = entry.actor;
    if (!actors.has(entry.actor)) return `messages for actor ${entry.actor}, which has no slab`;
    if (strict && entry.messages.length === 0) return `empty message list for actor ${entry.actor}`;
    if (entry.messages.length > MAX_WITNESS_ITEMS) return `more than ${MAX_WITNESS_ITEMS} messages`;
    for (const m of entry.messages) {
      if (m.to !== entry.actor) return `a message for actor ${m.to} in the list of actor ${entry.actor}`;
      if (m.data.byteLength > MAX_MESSAGE_SIZE) return "a message above the size bound";
    }
  }
  const hashes = new Set<string>();
  for (const p of witness.preimages) {
    if (p.byteLength > MAX_PREIMAGE_SIZE) return "a preimage above the size bound";
    const h = Buffer.from(blake2b256(p)).toString("hex");
    if (hashes.has(h)) return "duplicate preimage";
    hashes.add(h);
  }
  return undefined;
}
