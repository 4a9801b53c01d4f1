/**
 * The local harness (PocketIC-like): run programs off-chain as actors of one in-memory theatre, drive
 * them with Calls and Services, snapshot and restore their images, read logs and gas.
 *
 * It plays by the chain's rules because it runs the chain's executor (src/pov/executor.ts): every
 * `call`, `service` step or `play` is one play of the co-scheduled actors, and its effects are applied
 * as canonicalisation applies them (theatre.ts): rollback of a failed entry's effects (a callee's
 * included), `send`/`transfer` decided from the play's room and next actor id (`UnknownActor`, `Full`)
 * as from a relay view, releasing what is not held doing nothing, `lookup` seeing the preimages the actor `request`ed in an earlier play, `set_code` restarting the
 * actor on the new code through its `upgrade` (DESIGN §10), payouts to the collator.
 */

import { toHex } from "../codec/bytes.ts";
import { type ActorId, actorId, type CodeHash, type Hash, type StateHash } from "../codec/ids.ts";
import { CallOutput, type Message } from "../codec/types.ts";
import { executePlay, type PlayItem, type PlayOutcome } from "../pov/executor.ts";
import {
  type ActorInstance,
  type Engine,
  noHostEnv,
  type Program,
  type ServiceOutcome,
} from "../vm/engine.ts";
import { createEngine } from "../vm/engines.ts";
import { HarnessError } from "./errors.ts";
import { applyPlay, createTheatre, type HarnessActor, type HarnessUpgrade, type Theatre } from "./theatre.ts";

export { ActorCallError, deployActor, type HarnessActor } from "./actor.ts";
export { HarnessError } from "./errors.ts";
export type { HarnessUpgrade } from "./theatre.ts";

/** Defaults as in the chain's config: 2·10⁹ gas per Service, 2·10⁸ per Call, 256 postcards waiting. */
export const HARNESS_DEFAULTS = {
  serviceGas: 2_000_000_000n,
  callGas: 200_000_000n,
  now: 1,
  pigeonholeCapacity: 256,
} as const;

export interface HarnessOptions {
  /** The engine to run programs with (default: a fresh `createEngine()`, Wasm and PVM). */
  engine?: Engine;
  /** Gas for each Service step (default 2·10⁹). */
  serviceGas?: bigint;
  /** Gas for each Call (default 2·10⁸). */
  callGas?: bigint;
  /** The relay block number actors see as `now()` (default 1). */
  now?: number;
  /** Postcards an actor's pigeonhole holds (default 256, as the chain's default). */
  pigeonholeCapacity?: number;
}

export interface DeployOptions {
  /** The actor's free balance. */
  balance?: bigint;
}

export interface CallResult {
  output: CallOutput;
  /** SCALE `Result<Vec<u8>, CallError>`: what a PoV's `Call` item records. */
  encoded: Uint8Array;
  gasUsed: bigint;
}

/** A log line and who wrote it. */
export interface LogEntry {
  actor: ActorId;
  line: string;
}

/** An agenda item of {@link Harness.play}. */
export type HarnessItem = { actor: ActorId; call: Uint8Array } | { actor: ActorId; service: number };

export interface Harness {
  /** Loads `blob` as a new actor with `main(args)` pending. Ids are 1, 2, 3… */
  deploy(blob: Uint8Array, args?: Uint8Array, options?: DeployOptions): ActorId;
  /** Makes a program known (as an Upload), so `set_code` may move an actor to it. */
  upload(blob: Uint8Array): CodeHash;
  /** Runs the actor's `call` as an agenda Call (no origin), in a play of its own. */
  call(id: ActorId, input: Uint8Array, gas?: bigint): CallOutput;
  /** Like {@link call}, with the encoded output and the gas used. */
  callDetailed(id: ActorId, input: Uint8Array, gas?: bigint): CallResult;
  /** Resumes `main` up to `times` times, one play each (stops when it returns, fails or runs out of gas). */
  service(id: ActorId, times?: number, gas?: bigint): ServiceOutcome[];
  /**
   * Runs `agenda` as one play with `coreGas` (default: the Service gas), Calls with at most the Call
   * gas, as a collator's PoV would; returns the executor's outcome (outputs, effects, final images).
   */
  play(agenda: readonly HarnessItem[], coreGas?: bigint): PlayOutcome;
  /** Encodes the actor's image to bytes and decodes it back; returns the byte size. */
  snapshotRestore(id: ActorId): number;
  imageHash(id: ActorId): StateHash;
  /** The actor's current image, full encoding (a slab's `pre`). */
  image(id: ActorId): Uint8Array;
  codeHash(id: ActorId): CodeHash;
  status(id: ActorId): ActorInstance["status"];
  payout(id: ActorId): bigint;
  dependencies(id: ActorId): ActorId[];
  /** Limits who is co-scheduled (callActor to anyone else fails with NotCoscheduled); null = everyone. */
  coschedule(ids: ActorId[] | null): void;
  coscheduled(): ActorId[];
  /** Postcards waiting in an actor's pigeonhole. */
  mailbox(id: ActorId): readonly Message[];
  /** Puts a postcard into an actor's pigeonhole, as if another actor had sent it. */
  post(from: ActorId, to: ActorId, data: Uint8Array): void;
  balanceOf(id: ActorId): bigint;
  setBalance(id: ActorId, amount: bigint): void;
  /** The preimage on the in-memory disk, if any actor holds it. */
  preimage(hash: Hash): Uint8Array | undefined;
  /** Preimages the actor asked for, served in the witness of its next play. */
  requests(id: ActorId): readonly Hash[];
  /** Every `set_code` that took effect or was refused, in order (the chain's upgrade receipts). */
  readonly upgrades: readonly HarnessUpgrade[];
  /** Payouts owed to the collator of the plays so far. */
  readonly collatorEarnings: bigint;
  /** Moves the relay block number on. */
  advance(blocks?: number): number;
  /**
   * Log lines in order (all actors), including those of failed entries (how an author finds out why;
   * on the chain those are dropped); `logEntries` says who wrote each.
   */
  readonly logs: string[];
  readonly logEntries: readonly LogEntry[];
  /** Gas used by every play so far. */
  readonly gasUsed: bigint;
}

const ZERO32 = new Uint8Array(32) as Hash;

/**
 * Creates a harness.
 *
 * @example
 * const h = createHarness();
 * const counter = h.deploy((await buildProgram("examples/counter")).blob);
 * h.service(counter);
 * h.call(counter, new Uint8Array([1])); // { success: true, value: 1n as u64 LE }
 */
const U64_MAX = (1n << 64n) - 1n;

export function createHarness(options: HarnessOptions = {}): Harness {
  const engine = options.engine ?? createEngine();
  const serviceGas = options.serviceGas ?? HARNESS_DEFAULTS.serviceGas;
  const callGas = options.callGas ?? HARNESS_DEFAULTS.callGas;
  const theatre: Theatre = createTheatre(options.pigeonholeCapacity ?? HARNESS_DEFAULTS.pigeonholeCapacity);
  let now = options.now ?? HARNESS_DEFAULTS.now;
  let coscheduledIds: ActorId[] | null = null;
  const logs: LogEntry[] = [];
  let nextId = 1;
  let gasUsed = 0n;

  const slot = (id: ActorId): HarnessActor => {
    const s = theatre.actors.get(id);
    if (!s) {
      throw new HarnessError(`No actor ${id} in this harness`, {
        code: "HARNESS_UNKNOWN_ACTOR",
        details: `deployed: ${[...theatre.actors.keys()].join(", ") || "none"}`,
        hint: "use the id that deploy() returned",
      });
    }
    return s;
  };

  const load = (blob: Uint8Array): Program => {
    let program: Program;
    try {
      program = engine.load(blob);
      program.createImage(new Uint8Array()); // as an upload: creation code must finish (docs/abi.md §7)
    } catch (cause) {
      throw new HarnessError("The engine rejected the program", {
        code: "HARNESS_BAD_PROGRAM",
        details: (cause as Error).message,
        hint: "build it with `coreplay build`",
        cause,
      });
    }
    theatre.codes.set(toHex(program.codeHash), program);
    return program;
  };

  const coscheduled = (): ActorId[] => {
    const ids = coscheduledIds ?? [...theatre.actors.keys()];
    return ids.filter((id) => theatre.actors.has(id)).sort((a, b) => a - b);
  };

  /** One play: the co-scheduled actors and those the agenda names, run by the chain's executor. */
  const runPlay = (
    agenda: PlayItem[],
    coreGas: bigint,
    itemCallGas: bigint,
    onService?: (o: ServiceOutcome) => void,
  ): PlayOutcome => {
    for (const item of agenda) slot(item.actor);
    const ids = [...new Set([...coscheduled(), ...agenda.map((i) => i.actor)])].sort((a, b) => a - b);
    const actors = ids.map((id) => slot(id));
    const preimages: Uint8Array[] = [];
    const served = new Set<string>();
    for (const a of actors) {
      for (const h of a.requests) {
        const item = theatre.disk.get(toHex(h));
        if (item && !served.has(toHex(h))) {
          served.add(toHex(h));
          preimages.push(item.data);
        }
      }
    }
    const r = executePlay({
      now,
      coreGas,
      callGas: itemCallGas,
      actors: ids.map((id, i) => {
        const a = actors[i] as HarnessActor;
        return { actor: id, sequence: a.sequence + 1n, program: a.program, pre: a.image, balance: a.balance };
      }),
      agenda,
      // Every harness actor exists; the harness has no disk reservations (no quota), and a pigeonhole's
      // room is what its capacity leaves (the chain's rule: `send` into a full one says Full).
      nextActor: nextId,
      room: [...theatre.actors].map(([actor, a]) => ({
        actor,
        pigeonhole: Math.max(0, theatre.pigeonholeCapacity - a.mailbox.length),
        disk: U64_MAX,
      })),
      witness: {
        relayParent: ZERO32,
        now,
        coreGas,
        messages: ids.map((id, i) => ({
          actor: id,
          headBefore: ZERO32,
          messages: [...(actors[i] as HarnessActor).mailbox],
        })),
        preimages,
      },
      trace: {
        log: (actor, line) => {
          logs.push({ actor, line });
        },
        service: (_actor, o) => onService?.(o),
      },
    });
    if (!r.ok) {
      throw new HarnessError("The play is invalid", {
        code: "HARNESS_PLAY_INVALID",
        details: `${r.error.tag}: ${String(r.error.value)}`,
        hint: "give the play more gas (coreGas), or report the program if the engine failed",
      });
    }
    applyPlay(theatre, ids, r.value.finals, r.value.effects);
    gasUsed += r.value.effects.gasUsed;
    return r.value;
  };

  const h: Harness = {
    deploy(blob, args = new Uint8Array(), opts = {}) {
      const program = load(blob);
      const id = actorId(nextId++);
      theatre.actors.set(id, {
        program,
        image: program.createImage(args),
        balance: opts.balance ?? 0n,
        sequence: 0n,
        mailbox: [],
        requests: [],
      });
      return id;
    },
    upload: (blob) => load(blob).codeHash,
    call(id, input, gas) {
      return h.callDetailed(id, input, gas).output;
    },
    callDetailed(id, input, gas = callGas) {
      const r = runPlay([{ actor: id, entry: { tag: "Call", value: { input } } }], gas, gas);
      const encoded = r.outputs[0] as Uint8Array;
      return { output: CallOutput.dec(encoded), encoded, gasUsed: r.effects.gasUsed };
    },
    service(id, times = 1, gas = serviceGas) {
      const outcomes: ServiceOutcome[] = [];
      for (let i = 0; i < times; i++) {
        let o: ServiceOutcome | undefined;
        runPlay([{ actor: id, entry: { tag: "Service", value: { times: 1 } } }], gas, callGas, (x) => {
          o = x;
        });
        const step = o as ServiceOutcome;
        outcomes.push(step);
        if (step.status !== "yielded" && step.status !== "preempted") break;
      }
      return outcomes;
    },
    play(agenda, coreGas = serviceGas) {
      return runPlay(
        agenda.map((i) =>
          "call" in i
            ? { actor: i.actor, entry: { tag: "Call", value: { input: i.call } } }
            : { actor: i.actor, entry: { tag: "Service", value: { times: i.service } } },
        ),
        coreGas,
        callGas,
      );
    },
    snapshotRestore(id) {
      const s = slot(id);
      const bytes = s.image.encode();
      s.image = s.program.decodeImage(bytes);
      return bytes.byteLength;
    },
    imageHash: (id) => slot(id).image.hash,
    image: (id) => slot(id).image.encode(),
    codeHash: (id) => slot(id).program.codeHash,
    status: (id) => slot(id).image.status,
    payout(id) {
      const s = slot(id);
      const instance = s.program.instantiate(id, s.image, noHostEnv(id, now));
      const v = instance.payout(now, callGas);
      instance.release?.();
      return v;
    },
    dependencies(id) {
      const s = slot(id);
      const instance = s.program.instantiate(id, s.image, noHostEnv(id, now));
      const v = instance.dependencies(now, callGas);
      instance.release?.();
      return v;
    },
    coschedule(ids) {
      coscheduledIds = ids === null ? null : [...ids];
    },
    coscheduled,
    mailbox: (id) => theatre.actors.get(id)?.mailbox ?? [],
    post(from, to, data) {
      const s = slot(to);
      s.mailbox.push({ from: { tag: "Actor", value: from }, to, data: data.slice() });
    },
    balanceOf: (id) => theatre.actors.get(id)?.balance ?? 0n,
    setBalance(id, amount) {
      slot(id).balance = amount;
    },
    preimage: (hash) => theatre.disk.get(toHex(hash))?.data,
    requests: (id) => slot(id).requests,
    get upgrades() {
      return theatre.upgrades;
    },
    get collatorEarnings() {
      return theatre.collatorEarnings;
    },
    advance(blocks = 1) {
      now += blocks;
      return now;
    },
    get logs() {
      return logs.map((l) => l.line);
    },
    get logEntries() {
      return logs;
    },
    get gasUsed() {
      return gasUsed;
    },
  };
  return h;
}
