/**
 * Collators (DESIGN §8): find the actors with work, co-schedule each with its `dependencies()`, pack the
 * groups onto free cores (one collator per core: the canonical collator of the group's first actor),
 * and build each core's PoV with `buildPov`. Runs in the node's main thread; validation is elsewhere.
 */
import type { Chain } from "../chain/index.ts";
import { toHex } from "../codec/bytes.ts";
import type { ActorId, Hash } from "../codec/ids.ts";
import { encode, type Witness } from "../codec/types.ts";
import { type BuiltPov, buildPov, type DraftItem } from "../pov/build.ts";
import { MAX_AGENDA_ITEMS, MAX_COSCHEDULED, PAYOUT_GAS } from "../pov/limits.ts";
import { RelayView } from "../pov/types.ts";
import { type Engine, type MainStatus, noHostEnv, type Program } from "../vm/engine.ts";
import { ASLEEP, type Wake, wakes } from "../vm/fibre/table.ts";
import { callCount, callsBeforeServices, keepFirstCalls } from "./agenda.ts";
import { type ActorState, createRefusals } from "./refusals.ts";
import { canonicalCollators, type Group, groupActors, packCores } from "./schedule.ts";

/**
 * What a collator offers a play beside the slabs, so the PoV stays within `MAX_POV_SIZE` (the slabs of
 * one actor at the memory cap take 8 of its 10 MiB): postcard bytes and preimage bytes (at least one
 * preimage, whatever its size). Later postcards wait for the next play. A collator's policy, not
 * consensus: validators check only the bound.
 */
const OFFER_MESSAGE_BYTES = 512 * 1024;
const OFFER_PREIMAGE_BYTES = 1024 * 1024;

function fitWitness<W extends { messages: Witness["messages"]; preimages: Witness["preimages"] }>(w: W): W {
  let budget = OFFER_MESSAGE_BYTES;
  const messages: Witness["messages"] = [];
  for (const m of w.messages) {
    let n = 0;
    while (n < m.messages.length && m.messages[n]!.data.byteLength <= budget)
      budget -= m.messages[n++]!.data.byteLength;
    if (n > 0) messages.push(n === m.messages.length ? m : { ...m, messages: m.messages.slice(0, n) });
  }
  let room = OFFER_PREIMAGE_BYTES;
  const preimages = w.preimages.filter((p, i) => {
    if (i > 0 && p.byteLength > room) return false;
    room -= p.byteLength;
    return true;
  });
  return { ...w, messages, preimages };
}

/** Plays of one PoV that may each name new recipients (see `buildCore`). */
const RECIPIENT_PASSES = 3;

/** Gas for one `dependencies(now)` inspector run. */
const DEPENDENCIES_GAS = 1_000_000n;

export interface CoreJob {
  core: number;
  collator: number;
  actors: ActorId[];
  calls: number;
  built: BuiltPov;
  /** SCALE `RelayView` the validators need beside the PoV. */
  view: Uint8Array;
  /** Each actor's state hash the PoV starts from (for {@link Collators.refused}). */
  states: ActorState[];
  codes: Array<[Uint8Array, Uint8Array]>;
}

export interface Collators {
  /** Builds this block's PoVs on the chain's head. Never throws for one bad actor: it is skipped and logged. */
  build(): { jobs: CoreJob[]; skipped: Array<{ actors: number[]; reason: string }> };
  /**
   * The same, one core at a time: the caller can hand each PoV to the validators before the next is
   * built (the chain must not change until the generator is done).
   */
  buildEach(): Generator<CoreJob | { actors: number[]; reason: string }>;
  /** `main`'s status from the actor's current image (cached by state hash). */
  status(actor: ActorId): MainStatus | undefined;
  /** When the actor wants a Service next, from its current image (DESIGN §13; cached by state hash). */
  wake(actor: ActorId): Wake | undefined;
  /** The chain refused this job's PoV (issue 13 §0 rule b): never build it again. */
  refused(job: CoreJob): void;
  program(codeHash: Uint8Array): Program | undefined;
}

export function createCollators(opts: {
  chain: Chain;
  engine: Engine;
  collators: number;
  cores: number;
  /** Most calls per actor per play (default: as many as fit an agenda). */
  maxCallsPerActor?: number;
  /**
   * A collator process of a network (issue 15): each group's collator is the chain's canonical one of
   * its first actor (`of`, an index into the registered collators), the packing is computed for every
   * collator alike (so cores do not collide), and only the cores of `self` are built.
   */
  network?: { of(actor: ActorId): number | undefined; self: number };
}): Collators {
  const { chain, engine } = opts;
  const programs = new Map<string, Program>();
  const statuses = new Map<string, { status: MainStatus; wake: Wake }>();
  const refusals = createRefusals();

  const program = (codeHash: Uint8Array): Program | undefined => {
    const k = toHex(codeHash);
    let p = programs.get(k);
    if (!p) {
      const blob = chain.code(codeHash as never);
      if (!blob) return undefined;
      p = engine.load(blob);
      programs.set(k, p);
    }
    return p;
  };

  const fromImage = (actor: ActorId): { status: MainStatus; wake: Wake } | undefined => {
    const info = chain.actor(actor);
    if (!info) return undefined;
    const k = toHex(info.stateHash);
    let s = statuses.get(k);
    if (!s) {
      const p = program(info.codeHash);
      const slab = chain.slabView(actor); // decodeImage copies it
      if (!p || !slab) return undefined;
      const image = p.decodeImage(slab);
      const live = image.status === "pending" || image.status === "suspended";
      // an engine without fibres: main, while it is live, wants every Service (and reads its mail)
      const wake = image.wake?.() ?? (live ? { ready: true, postcard: true, block: undefined } : ASLEEP);
      s = { status: image.status, wake };
      if (statuses.size > 100_000) statuses.clear();
      statuses.set(k, s);
    }
    return s;
  };
  const status = (actor: ActorId): MainStatus | undefined => fromImage(actor)?.status;
  const wake = (actor: ActorId): Wake | undefined => fromImage(actor)?.wake;

  /** What each actor's `payout(now)` offers this block (filled by `dependencies`, read by the ranking). */
  let offers = new Map<number, bigint>();
  /** Gas each actor's last play used (its PoV's, shared among its actors): the estimate for ranking. */
  const lastGas = new Map<number, bigint>();

  const dependencies = (actor: ActorId, now: number): number[] => {
    const info = chain.actor(actor);
    const slab = chain.slabView(actor); // decodeImage copies it
    const p = info && program(info.codeHash);
    if (!p || !slab) return [];
    try {
      const instance = p.instantiate(actor, p.decodeImage(slab), noHostEnv(actor));
      const ids = instance.dependencies(now, DEPENDENCIES_GAS);
      // issue 13 §3: what the play would pay, capped by what the actor holds (DESIGN §8)
      const offer = instance.payout(now, PAYOUT_GAS);
      // biome-ignore lint/complexity/useMathMinMax: bigint
      offers.set(actor, offer < 0n ? 0n : offer > info.balance ? info.balance : offer);
      instance.release?.(); // an inspector leaves the image as it was: the instance serves the next play
      return ids;
    } catch {
      return [];
    }
  };

  /** Offer per expected gas (a never-played actor is expected to use one call's gas). */
  const rankOf = (actors: readonly number[]): number => {
    let offer = 0n;
    let gas = 0n;
    for (const a of actors) {
      offer += offers.get(a) ?? 0n;
      gas += lastGas.get(a) ?? chain.config.callGas;
    }
    return offer === 0n ? 0 : Number(offer) / Number(gas > 0n ? gas : 1n);
  };
  const hog = (actors: readonly number[]): boolean =>
    actors.some((a) => (lastGas.get(a) ?? 0n) * 10n >= chain.config.coreGas * 9n);

  function build(): ReturnType<Collators["build"]> {
    const jobs: CoreJob[] = [];
    const skipped: Array<{ actors: number[]; reason: string }> = [];
    for (const j of buildEach()) {
      if ("reason" in j) skipped.push(j);
      else jobs.push(j);
    }
    return { jobs, skipped };
  }

  function* buildEach(): Generator<CoreJob | { actors: number[]; reason: string }> {
    const head = chain.head();
    const now = head.number + 1;
    const pooled = new Set(chain.pool().flatMap((e) => e.slabs.map((s) => s.actor as number)));
    const calls = new Map<number, number>();
    const withWork: number[] = [];
    const all = chain.actorIds();
    for (const a of all) {
      if (pooled.has(a)) continue;
      const queued = chain.actor(a)?.calls.len ?? 0;
      const mail = chain.pigeonhole(a)?.messages.length ?? 0;
      // DESIGN §13: an actor whose fibres all wait is scheduled only when what they wait for arrives
      const w = wake(a);
      const busy = w !== undefined && wakes(w, now, mail);
      // mail is work whatever the fibres wait for (issue 13 §0: nothing with work waits unscheduled)
      if (queued > 0 || mail > 0 || busy || chain.requests(a).length > 0) {
        withWork.push(a);
        calls.set(a, queued);
      }
    }
    if (withWork.length === 0) return;

    offers = new Map();
    const exists = new Set<number>(all);
    // an actor a refused PoV started from is built alone until it moves on (rule b)
    const struck = new Map<number, number>();
    for (const a of withWork) {
      const info = chain.actor(a as ActorId);
      const n = info
        ? refusals.strikes({ actor: a as ActorId, sequence: info.sequence, stateHash: info.stateHash })
        : 0;
      if (n > 0) struck.set(a, n);
    }
    const groups = groupActors(
      withWork,
      (a) => (struck.has(a) ? [] : dependencies(a as ActorId, now)),
      (a) => exists.has(a) && !pooled.has(a) && !struck.has(a),
      MAX_COSCHEDULED,
    );
    const owner = opts.network
      ? new Map<number, number>()
      : canonicalCollators(all, opts.collators, head.hash);
    const maxCalls = opts.maxCallsPerActor ?? MAX_AGENDA_ITEMS;
    const gs: Group[] = groups.map((g) => ({
      actors: g,
      weight: g.reduce(
        (n, a) => n + 1 + Math.min(maxCalls, calls.get(a) ?? chain.actor(a as ActorId)?.calls.len ?? 0),
        0,
      ),
      collator: opts.network ? (opts.network.of(g[0]! as ActorId) ?? -1) : (owner.get(g[0]!) ?? 0),
      rank: rankOf(g),
      alone: hog(g),
    }));
    const { cores } = packCores(gs, opts.cores, { maxItems: MAX_AGENDA_ITEMS, maxActors: MAX_COSCHEDULED });

    for (const c of cores) {
      if (opts.network && c.collator !== opts.network.self) continue;
      const actors = c.actors as ActorId[];
      // Calls before Services (agenda.ts): a busy main must not leave the calls what a checkpoint leaves.
      const draft = callsBeforeServices(
        actors,
        (actor, max) => {
          const strikes = struck.get(actor) ?? 0;
          const offer = strikes > 0 ? refusals.calls(calls.get(actor) ?? 0, strikes) : maxCalls;
          return chain.pendingInputs(actor, Math.min(offer, maxCalls, max));
        },
        MAX_AGENDA_ITEMS,
      );
      const job = buildCore(c.core, c.collator, actors, draft, now);
      if (!("reason" in job)) {
        const share = job.built.gasUsed / BigInt(actors.length);
        for (const a of actors) lastGas.set(a, share);
      }
      yield "reason" in job ? { actors, reason: job.reason } : job;
    }
  }

  function buildCore(
    core: number,
    collator: number,
    actors: ActorId[],
    draft: DraftItem[],
    now: number,
  ): CoreJob | { reason: string } {
    let view = chain.relayView(actors, { now });
    const states = view.actors.map((a) => ({ actor: a.actor, sequence: a.sequence, stateHash: a.stateHash }));
    const w = fitWitness(chain.witness(actors, { now }));
    // views: the play decodes its own copy of each, and the PoV's encoding copies them
    const slabs = actors.map((actor) => ({ actor, pre: chain.slabView(actor)! }));
    const codes: Array<[Uint8Array, Uint8Array]> = [];
    const seen = new Set<string>();
    for (const a of view.actors) {
      const k = toHex(a.codeHash);
      if (seen.has(k)) continue;
      seen.add(k);
      codes.push([a.codeHash, chain.code(a.codeHash)!]);
    }
    // Calls must be a prefix of each actor's queue (the chain dequeues in order), so an agenda that
    // outruns the core is retried with fewer calls from the back.
    let agenda = draft;
    // Recipients the view has no room for make `send` say Full: name them and play again, a few
    // times (a play may pick its recipients from what earlier sends returned); what is left stays Full.
    const recipients = new Set<ActorId>();
    let passes = 0;
    for (;;) {
      try {
        const built = buildPov({
          view,
          slabs,
          agenda,
          witness: { messages: w.messages, preimages: w.preimages },
          engine,
          codes: chain.codeSource,
        });
        const fresh = built.wanted.filter((a) => !recipients.has(a));
        if (fresh.length > 0 && passes < RECIPIENT_PASSES) {
          passes++;
          for (const a of fresh) recipients.add(a);
          view = chain.relayView(actors, { now, recipients: [...recipients] });
          continue;
        }
        const ncalls = callCount(agenda);
        return { core, collator, actors, calls: ncalls, built, view: encode(RelayView, view), states, codes };
      } catch (e) {
        const ncalls = callCount(agenda);
        if (ncalls === 0) return { reason: (e as Error).message };
        agenda = keepFirstCalls(agenda, Math.floor(ncalls / 2));
      }
    }
  }

  return { build, buildEach, status, wake, program, refused: (job) => refusals.note(job.states) };
}

export type { Hash };
