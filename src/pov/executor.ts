/**
 * Executes one play (DESIGN §4 rule 4, §6): the agenda in order against the core's gas budget, with a
 * {@link HostEnv} per co-scheduled actor whose effects are journaled and rolled back when the entry that
 * made them fails. Pure and deterministic: no clock, randomness or I/O; every loop is bounded.
 */

import { bytesEqual } from "../codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../codec/ids.ts";
import { CallOutput, encode, type Message, type Witness } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { err, ok, type Result } from "../errors.ts";
import { HOST_ERROR } from "../vm/abi.ts";
import type { ActorImage, ActorInstance, HostEnv, Program, ServiceOutcome } from "../vm/engine.ts";
import { createJournal, type Journal, pushJournaled } from "./journal.ts";
import {
  MAX_CARRY,
  MAX_EFFECTS,
  MAX_LOG_LINE,
  MAX_LOG_LINES,
  MAX_MESSAGE_SIZE,
  MAX_OUTBOX_BYTES,
  MAX_OUTBOX_MESSAGES,
  MAX_PREIMAGE_SIZE,
  MAX_REQUESTS,
  MAX_STORED_BYTES,
  PAYOUT_GAS,
} from "./limits.ts";
import { headAfter } from "./pigeonhole.ts";
import type { InvalidReason, PovEffects, RoomView } from "./types.ts";

/** An agenda item as the executor takes it: a `Call` without `output` is recorded, with one is checked. */
export type PlayEntry =
  | { tag: "Service"; value: { times: number } }
  | { tag: "Call"; value: { input: Uint8Array; output?: Uint8Array } };
export interface PlayItem {
  actor: ActorId;
  entry: PlayEntry;
}

/** A co-scheduled actor, checked and loaded (see `prepare.ts`). */
export interface PlayActor {
  actor: ActorId;
  sequence: bigint;
  program: Program;
  pre: ActorImage;
  /** Free balance at the relay parent. */
  balance: bigint;
}

export interface PlayInput {
  now: number;
  /** Actor ids below this exist (the view's `nextActor`). */
  nextActor: number;
  /** The view's room per actor (see `RelayView.room`). */
  room: readonly RoomView[];
  coreGas: bigint;
  callGas: bigint;
  /** In slab order. */
  actors: readonly PlayActor[];
  agenda: readonly PlayItem[];
  witness: Witness;
  /** Observers for tools (the harness); never consensus data: they see what failing entries did too. */
  trace?: PlayTrace;
}

/** What a tool may watch of a play as it runs. */
export interface PlayTrace {
  /** Every `log` line as it is made, before limits and rollback. */
  log?(actor: ActorId, line: string): void;
  /** Every step of a `Service` item. */
  service?(actor: ActorId, outcome: ServiceOutcome): void;
}

export interface PlayOutcome {
  /** The SCALE `CallOutput` of each `Call` item, by agenda index (undefined for Services). */
  outputs: Array<Uint8Array | undefined>;
  effects: PovEffects;
  /** Each actor's image after the play, in slab order. */
  finals: ActorImage[];
  /** How many witness messages each actor read at all, in `witness.messages` order. */
  seen: number[];
  /** Whether each witness preimage was looked up. */
  preimagesUsed: boolean[];
  /**
   * Existing recipients the play sent to that the view had no room entry for (so `send` said `Full`):
   * a collator names them in the view and builds again.
   */
  wanted: ActorId[];
}

const callErr = (tag: "OutOfGas" | "Trap" | "Reentry" | "NotCoscheduled"): CallOutput => ({
  success: false,
  value: { tag, value: undefined },
});

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** Mutable state of one play; everything that must roll back goes through `journal`. */
interface Play {
  readonly now: number;
  readonly trace: PlayTrace | undefined;
  readonly ids: readonly ActorId[];
  readonly journal: Journal;
  readonly instances: Map<ActorId, ActorInstance>;
  readonly programs: Map<ActorId, Program>;
  readonly stack: ActorId[];
  /** First engine failure seen; the play is then invalid whatever the actors did with it. */
  abort: InvalidReason | undefined;
  readonly balances: Map<ActorId, bigint>;
  readonly inbox: Map<ActorId, { index: number; messages: readonly Message[]; cursor: number; seen: number }>;
  readonly preimages: Map<string, { index: number; data: Uint8Array }>;
  readonly preimagesUsed: boolean[];
  readonly sent: Message[];
  outboxBytes: number;
  readonly nextActor: number;
  readonly room: Map<ActorId, RoomView>;
  /** Postcards sent per recipient and bytes stored per actor in this play (journaled). */
  readonly sentTo: Map<ActorId, number>;
  readonly storedBy: Map<ActorId, bigint>;
  readonly wanted: Set<ActorId>;
  readonly transfers: PovEffects["transfers"];
  readonly codeChanges: PovEffects["codeChanges"];
  readonly stored: PovEffects["stored"];
  storedBytes: number;
  readonly storedByHash: Map<string, Uint8Array>;
  readonly released: PovEffects["released"];
  readonly requested: PovEffects["requested"];
  readonly logs: PovEffects["logs"];
}

function setJournaled<K, V>(j: Journal, map: Map<K, V>, key: K, value: V): void {
  const had = map.has(key);
  const old = map.get(key);
  map.set(key, value);
  j.record(() => {
    if (had) map.set(key, old as V);
    else map.delete(key);
  });
}

/** Puts a co-scheduled actor back to `image` (a fresh instance: images are immutable values). */
function restore(play: Play, actor: ActorId, image: ActorImage): void {
  try {
    const program = play.programs.get(actor) as Program;
    play.instances.set(actor, program.instantiate(actor, image, hostFor(play, actor)));
  } catch {
    play.abort ??= { tag: "BadImage", value: `engine failed restoring actor ${actor}` };
  }
}

function hostFor(play: Play, self: ActorId): HostEnv {
  const j = play.journal;
  return {
    self,
    now: play.now,
    coscheduled: () => play.ids,
    callActor(callee, data, gasLimit) {
      const instance = play.instances.get(callee);
      if (!instance) return { output: callErr("NotCoscheduled"), gasUsed: 0n };
      if (play.stack.includes(callee)) return { output: callErr("Reentry"), gasUsed: 0n };
      const mark = j.mark();
      const before = instance.snapshot();
      play.stack.push(callee);
      let outcome: { output: CallOutput; gasUsed: bigint };
      try {
        outcome = instance.call(self, data, gasLimit);
      } catch {
        play.abort ??= { tag: "BadImage", value: `engine failed in call to actor ${callee}` };
        outcome = { output: callErr("Trap"), gasUsed: gasLimit };
      } finally {
        play.stack.pop();
      }
      // The callee's failure rolls back the callee's effects (its image is rolled back by the engine).
      if (!outcome.output.success) j.rollback(mark);
      // Its success is undone with the caller's entry, image included: a failed entry leaves no trace.
      else j.record(() => restore(play, callee, before));
      return outcome;
    },
    send(to, data) {
      if (data.byteLength > MAX_MESSAGE_SIZE) return HOST_ERROR.TooLarge;
      if (play.sent.length >= MAX_OUTBOX_MESSAGES || play.outboxBytes + data.byteLength > MAX_OUTBOX_BYTES) {
        return HOST_ERROR.Full;
      }
      // issue 13 §0: decided here from the relay-parent view, so the chain never refuses the send
      if (to >= play.nextActor) return HOST_ERROR.UnknownActor;
      const room = play.room.get(to);
      if (!room) {
        play.wanted.add(to);
        return HOST_ERROR.Full;
      }
      const queued = play.sentTo.get(to) ?? 0;
      if (queued >= room.pigeonhole) return HOST_ERROR.Full;
      setJournaled(j, play.sentTo, to, queued + 1);
      pushJournaled(j, play.sent, { from: { tag: "Actor", value: self }, to, data: data.slice() });
      play.outboxBytes += data.byteLength;
      j.record(() => {
        play.outboxBytes -= data.byteLength;
      });
      return 0;
    },
    recv() {
      const box = play.inbox.get(self);
      if (!box || box.cursor >= box.messages.length) return undefined;
      const message = box.messages[box.cursor] as Message;
      box.cursor += 1;
      // What was read at all is not rolled back: the witness had to carry it (see PovEffects.received.seen).
      box.seen = Math.max(box.seen, box.cursor);
      j.record(() => {
        box.cursor -= 1;
      });
      return message;
    },
    hasMail() {
      const box = play.inbox.get(self);
      return box !== undefined && box.cursor < box.messages.length;
    },
    // DESIGN §13: a fibre that fails inside a Service takes back its own effects only.
    mark: () => j.mark(),
    rollback: (mark) => j.rollback(mark),
    lookup(hash) {
      const key = hex(hash);
      const found = play.preimages.get(key);
      if (found) {
        play.preimagesUsed[found.index] = true;
        return found.data;
      }
      // Preimages stored earlier in this play (and not rolled back) are visible too.
      return play.storedByHash.get(key);
    },
    request(hash) {
      if (play.requested.length >= MAX_REQUESTS) return HOST_ERROR.Full;
      pushJournaled(j, play.requested, { actor: self, hash: hash.slice() as Hash });
      return 0;
    },
    store(data) {
      if (data.byteLength > MAX_PREIMAGE_SIZE) return { code: HOST_ERROR.TooLarge };
      if (play.stored.length >= MAX_EFFECTS || play.storedBytes + data.byteLength > MAX_STORED_BYTES) {
        return { code: HOST_ERROR.Full };
      }
      // issue 13 §0: the actor's free reservation at the relay parent bounds what its plays store
      const mine = play.storedBy.get(self) ?? 0n;
      const free = play.room.get(self)?.disk ?? 0n;
      if (mine + BigInt(data.byteLength) > free) return { code: HOST_ERROR.Insufficient };
      setJournaled(j, play.storedBy, self, mine + BigInt(data.byteLength));
      const copy = data.slice();
      const hash = blake2b256(copy);
      pushJournaled(j, play.stored, { actor: self, data: copy });
      if (!play.storedByHash.has(hex(hash))) setJournaled(j, play.storedByHash, hex(hash), copy);
      play.storedBytes += copy.byteLength;
      j.record(() => {
        play.storedBytes -= copy.byteLength;
      });
      return { code: 0, hash };
    },
    release(hash) {
      if (play.released.length >= MAX_EFFECTS) return HOST_ERROR.Full;
      pushJournaled(j, play.released, { actor: self, hash: hash.slice() as Hash });
      return 0;
    },
    balance: () => play.balances.get(self) ?? 0n,
    transfer(to, amount) {
      if (amount < 0n) return HOST_ERROR.Insufficient;
      // issue 13 §0: an unknown recipient is refused here, not by the chain
      if (to >= play.nextActor) return HOST_ERROR.UnknownActor;
      const mine = play.balances.get(self) ?? 0n;
      if (amount > mine) return HOST_ERROR.Insufficient;
      if (amount === 0n || to === self) return 0;
      if (play.transfers.length >= MAX_EFFECTS) return HOST_ERROR.Full;
      setJournaled(j, play.balances, self, mine - amount);
      // Recipients outside the play are credited by `chain` at canonicalisation; inside, at once.
      if (play.balances.has(to))
        setJournaled(j, play.balances, to, (play.balances.get(to) as bigint) + amount);
      pushJournaled(j, play.transfers, { from: self, to, amount });
      return 0;
    },
    setCode(hash, carry) {
      if (carry.byteLength > MAX_CARRY) return HOST_ERROR.TooLarge;
      const change = { actor: self, codeHash: hash.slice() as CodeHash, carry: carry.slice() };
      // DESIGN §10: the actor's last set_code of the play wins (one restart per canonicalised PoV).
      const at = play.codeChanges.findIndex((c) => c.actor === self);
      if (at < 0) {
        pushJournaled(j, play.codeChanges, change);
        return 0;
      }
      const old = play.codeChanges[at] as PovEffects["codeChanges"][number];
      play.codeChanges[at] = change;
      j.record(() => {
        play.codeChanges[at] = old;
      });
      return 0;
    },
    log(line) {
      play.trace?.log?.(self, line);
      if (play.logs.length >= MAX_LOG_LINES) return;
      let cut = line.length > MAX_LOG_LINE ? line.slice(0, MAX_LOG_LINE) : line;
      // Never leave half a surrogate pair: it would not survive a UTF-8 round trip.
      if (cut.length < line.length && /[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
      pushJournaled(j, play.logs, { actor: self, line: cut });
    },
  };
}

/**
 * Runs the agenda of a checked PoV (or draft) and returns what it did, or why the play is invalid
 * (`OutputMismatch`, `CoreGasExceeded`, `BadImage`). Witness shape and usage are the caller's to check.
 *
 * @example
 * const r = executePlay({ now, coreGas, callGas, actors, agenda, witness });
 * if (r.ok) console.log(r.value.effects.gasUsed);
 */
export function executePlay(input: PlayInput): Result<PlayOutcome, InvalidReason> {
  const ids = input.actors.map((a) => a.actor).sort((a, b) => a - b);
  const play: Play = {
    now: input.now,
    trace: input.trace,
    ids,
    journal: createJournal(),
    instances: new Map(),
    programs: new Map(input.actors.map((a) => [a.actor, a.program])),
    stack: [],
    abort: undefined,
    balances: new Map(input.actors.map((a) => [a.actor, a.balance])),
    inbox: new Map(
      input.witness.messages.map((m, index) => [
        m.actor,
        { index, messages: m.messages, cursor: 0, seen: 0 },
      ]),
    ),
    preimages: new Map(
      input.witness.preimages.map((data, index) => [hex(blake2b256(data)), { index, data }]),
    ),
    preimagesUsed: input.witness.preimages.map(() => false),
    sent: [],
    outboxBytes: 0,
    nextActor: input.nextActor,
    room: new Map(input.room.map((r) => [r.actor, r])),
    sentTo: new Map(),
    storedBy: new Map(),
    wanted: new Set(),
    transfers: [],
    codeChanges: [],
    stored: [],
    storedBytes: 0,
    storedByHash: new Map(),
    released: [],
    requested: [],
    logs: [],
  };

  for (const a of input.actors) {
    try {
      play.instances.set(a.actor, a.program.instantiate(a.actor, a.pre, hostFor(play, a.actor)));
    } catch {
      return err({ tag: "BadImage", value: `actor ${a.actor}: pre image cannot be instantiated` });
    }
  }

  let left = input.coreGas;
  let used = 0n;
  const outputs: Array<Uint8Array | undefined> = [];
  const calls: PovEffects["calls"] = [];
  const exceeded = (): Result<never, InvalidReason> => err({ tag: "CoreGasExceeded", value: used });

  for (let index = 0; index < input.agenda.length; index++) {
    const item = input.agenda[index] as PlayItem;
    // DESIGN §4 rule 4: the agenda must complete within the budget; an item that starts with
    // nothing left cannot.
    if (left === 0n) return exceeded();
    const instance = play.instances.get(item.actor) as ActorInstance;
    play.stack.push(item.actor);
    try {
      if (item.entry.tag === "Call") {
        // DESIGN §6: a Call runs with min(callGas, left).
        const gas = minBig(input.callGas, left);
        const mark = play.journal.mark();
        let outcome: { output: CallOutput; gasUsed: bigint };
        try {
          outcome = instance.call(null, item.entry.value.input, gas);
        } catch {
          play.abort ??= { tag: "BadImage", value: `engine failed in call of actor ${item.actor}` };
          outcome = { output: callErr("Trap"), gasUsed: gas };
        }
        if (play.abort) return err(play.abort);
        if (outcome.gasUsed > gas || outcome.gasUsed < 0n) return exceeded();
        if (!outcome.output.success) play.journal.rollback(mark);
        if (play.abort) return err(play.abort);
        left -= outcome.gasUsed;
        used += outcome.gasUsed;
        const bytes = encode(CallOutput, outcome.output);
        const expected = item.entry.value.output;
        if (expected !== undefined && !bytesEqual(expected, bytes)) {
          return err({ tag: "OutputMismatch", value: index });
        }
        outputs.push(bytes);
        calls.push({ actor: item.actor, input: item.entry.value.input, output: bytes });
      } else {
        outputs.push(undefined);
        // DESIGN §6: a Service resumes main up to `times` times with what is left.
        for (let step = 0; step < item.entry.value.times && left > 0n; step++) {
          const mark = play.journal.mark();
          let outcome: ServiceOutcome;
          try {
            outcome = instance.service(left);
          } catch {
            play.abort ??= { tag: "BadImage", value: `engine failed resuming main of actor ${item.actor}` };
            outcome = { status: "trapped", gasUsed: left };
          }
          const { status, gasUsed } = outcome;
          input.trace?.service?.(item.actor, outcome);
          if (play.abort) return err(play.abort);
          if (gasUsed > left || gasUsed < 0n) return exceeded();
          if (status === "out-of-gas" || status === "trapped") play.journal.rollback(mark);
          if (play.abort) return err(play.abort);
          left -= gasUsed;
          used += gasUsed;
          // Only a main that can go on is resumed again; a free step would loop `times` times for nothing.
          if ((status !== "yielded" && status !== "preempted") || gasUsed === 0n) break;
        }
      }
    } finally {
      play.stack.pop();
    }
  }

  const finals: ActorImage[] = [];
  const transitions: PovEffects["transitions"] = [];
  const payouts: PovEffects["payouts"] = [];
  for (const a of input.actors) {
    const instance = play.instances.get(a.actor) as ActorInstance;
    let final: ActorImage;
    let payout: bigint;
    try {
      final = instance.snapshot();
      payout = instance.payout(input.now, PAYOUT_GAS);
    } catch {
      return err({ tag: "BadImage", value: `engine failed after the play of actor ${a.actor}` });
    }
    finals.push(final);
    transitions.push(transition(a.actor, a.sequence, a.pre, final));
    // DESIGN §8: payout() is paid from the actor's balance, so never more than it has left.
    const has = play.balances.get(a.actor) ?? 0n;
    payouts.push({ actor: a.actor, amount: payout < 0n ? 0n : payout > has ? has : payout });
  }

  // The play is over: its instances may serve later plays of the same programs (engine.ts `release`).
  for (const instance of play.instances.values()) instance.release?.();

  const received: PovEffects["received"] = [];
  const seen: number[] = [];
  for (const m of input.witness.messages) {
    const box = play.inbox.get(m.actor) as { cursor: number; seen: number };
    seen.push(box.seen);
    if (box.seen === 0) continue;
    received.push({
      actor: m.actor,
      count: box.cursor,
      headBefore: m.headBefore,
      headAfter: headAfter(m.headBefore, m.messages.slice(0, box.cursor)),
      seen: box.seen,
      headSeen: headAfter(m.headBefore, m.messages.slice(0, box.seen)),
    });
  }

  return ok({
    outputs,
    finals,
    seen,
    preimagesUsed: play.preimagesUsed,
    wanted: [...play.wanted].sort((a, b) => a - b),
    effects: {
      transitions,
      sent: play.sent,
      received,
      transfers: play.transfers,
      codeChanges: play.codeChanges,
      stored: play.stored,
      released: play.released,
      requested: play.requested,
      calls,
      payouts,
      logs: play.logs,
      gasUsed: used,
    },
  });
}

const asHash = (h: Uint8Array): Hash => h as Hash;

/**
 * A transition whose image hashes are read when first asked for (own enumerable accessors, so encoding,
 * spreading, cloning and comparing see plain values): a tool that never looks at them (the harness's
 * `call`) does not hash the changed pages of every play. Images are immutable, so the value is the
 * same whenever it is read.
 */
function transition(
  actor: ActorId,
  sequence: bigint,
  pre: ActorImage,
  post: ActorImage,
): PovEffects["transitions"][number] {
  let preHash: Hash | undefined;
  let postHash: Hash | undefined;
  return {
    actor,
    sequence,
    get preHash(): Hash {
      preHash ??= asHash(pre.hash);
      return preHash;
    },
    set preHash(h: Hash) {
      preHash = h;
    },
    get postHash(): Hash {
      postHash ??= asHash(post.hash);
      return postHash;
    },
    set postHash(h: Hash) {
      postHash = h;
    },
  };
}

const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
