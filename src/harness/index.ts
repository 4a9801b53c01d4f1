/**
 * The local harness (PocketIC-like): run programs off-chain as actors of one in-memory theatre, drive
 * them with Calls and Services, snapshot and restore their images, read logs and gas.
 */

import { toHex } from "../codec/bytes.ts";
import { type ActorId, actorId, type StateHash } from "../codec/ids.ts";
import { CallOutput, type Message } from "../codec/types.ts";
import type { ActorInstance, Engine, Program, ServiceOutcome } from "../vm/engine.ts";
import { createEngine } from "../vm/engines.ts";
import { HarnessError } from "./errors.ts";
import {
  coscheduledIds,
  createHarnessHost,
  createWorld,
  type LogEntry,
  mark,
  rollback,
  type World,
} from "./host.ts";

export { HarnessError } from "./errors.ts";
export type { LogEntry } from "./host.ts";

/** Defaults as in the chain's config: 2·10⁹ gas per Service, 2·10⁸ per Call. */
export const HARNESS_DEFAULTS = { serviceGas: 2_000_000_000n, callGas: 200_000_000n, now: 1 } as const;

export interface HarnessOptions {
  /** The engine to run programs with (default: a fresh `createEngine()`, Wasm and PVM). */
  engine?: Engine;
  /** Gas for each Service step (default 2·10⁹). */
  serviceGas?: bigint;
  /** Gas for each Call (default 2·10⁸). */
  callGas?: bigint;
  /** The relay block number actors see as `now()` (default 1). */
  now?: number;
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

interface Slot {
  program: Program;
  instance: ActorInstance;
}

export interface Harness {
  /** Loads `blob` as a new actor with `main(args)` pending. Ids are 1, 2, 3… */
  deploy(blob: Uint8Array, args?: Uint8Array, options?: DeployOptions): ActorId;
  /** Runs the actor's `call` as an agenda Call (no origin). */
  call(id: ActorId, input: Uint8Array, gas?: bigint): CallOutput;
  /** Like {@link call}, with the encoded output and the gas used. */
  callDetailed(id: ActorId, input: Uint8Array, gas?: bigint): CallResult;
  /** Resumes `main` up to `times` times (stops early when it returns, fails or runs out of gas). */
  service(id: ActorId, times?: number, gas?: bigint): ServiceOutcome[];
  /** Encodes the actor's image to bytes and restores it into a fresh instance; returns the byte size. */
  snapshotRestore(id: ActorId): number;
  imageHash(id: ActorId): StateHash;
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
  /** Moves the relay block number on. */
  advance(blocks?: number): number;
  readonly world: World;
  /** Log lines in order (all actors); `logEntries` says who wrote each. */
  readonly logs: string[];
  readonly logEntries: readonly LogEntry[];
  /** Gas used by every Call and Service so far. */
  readonly gasUsed: bigint;
}

/**
 * Creates a harness.
 *
 * @example
 * const h = createHarness();
 * const counter = h.deploy((await buildProgram("examples/counter")).blob);
 * h.service(counter);
 * h.call(counter, new Uint8Array([1])); // { success: true, value: 1n as u64 LE }
 */
export function createHarness(options: HarnessOptions = {}): Harness {
  const engine = options.engine ?? createEngine();
  const serviceGas = options.serviceGas ?? HARNESS_DEFAULTS.serviceGas;
  const callGas = options.callGas ?? HARNESS_DEFAULTS.callGas;
  const world = createWorld(options.now ?? HARNESS_DEFAULTS.now);
  const slots = new Map<ActorId, Slot>();
  let nextId = 1;
  let gasUsed = 0n;

  const slot = (id: ActorId): Slot => {
    const s = slots.get(id);
    if (!s) {
      throw new HarnessError(`No actor ${id} in this harness`, {
        code: "HARNESS_UNKNOWN_ACTOR",
        details: `deployed: ${[...slots.keys()].join(", ") || "none"}`,
        hint: "use the id that deploy() returned",
      });
    }
    return s;
  };

  const load = (blob: Uint8Array): Program => {
    try {
      return engine.load(blob);
    } catch (cause) {
      throw new HarnessError("The engine rejected the program", {
        code: "HARNESS_BAD_PROGRAM",
        details: (cause as Error).message,
        hint: "build it with `coreplay build`",
        cause,
      });
    }
  };

  /** Runs one agenda item: journal, stack, then deliver its postcards if it succeeded. */
  const item = <T>(id: ActorId, run: () => T, failed: (r: T) => boolean): T => {
    world.undo.length = 0;
    world.outbox.length = 0;
    const m = mark(world);
    world.stack.push(id);
    try {
      const r = run();
      if (failed(r)) rollback(world, m);
      for (const msg of world.outbox) {
        const box = world.mailboxes.get(msg.to) ?? [];
        box.push(msg);
        world.mailboxes.set(msg.to, box);
      }
      return r;
    } finally {
      world.stack.pop();
      world.outbox.length = 0;
      world.undo.length = 0;
    }
  };

  const h: Harness = {
    deploy(blob, args = new Uint8Array(), opts = {}) {
      const program = load(blob);
      const id = actorId(nextId++);
      const image = program.createImage(args);
      const instance = program.instantiate(id, image, createHarnessHost(world, id));
      slots.set(id, { program, instance });
      world.instances.set(id, instance);
      world.codes.add(toHex(program.codeHash));
      world.balances.set(id, opts.balance ?? 0n);
      return id;
    },
    call(id, input, gas) {
      return h.callDetailed(id, input, gas).output;
    },
    callDetailed(id, input, gas = callGas) {
      const { instance } = slot(id);
      const outcome = item(
        id,
        () => instance.call(null, input, gas),
        (o) => !o.output.success,
      );
      gasUsed += outcome.gasUsed;
      return { output: outcome.output, encoded: CallOutput.enc(outcome.output), gasUsed: outcome.gasUsed };
    },
    service(id, times = 1, gas = serviceGas) {
      const { instance } = slot(id);
      const outcomes: ServiceOutcome[] = [];
      for (let i = 0; i < times; i++) {
        const o = item(
          id,
          () => instance.service(gas),
          (r) => r.status === "out-of-gas" || r.status === "trapped",
        );
        gasUsed += o.gasUsed;
        outcomes.push(o);
        if (o.status !== "yielded" && o.status !== "preempted") break;
      }
      return outcomes;
    },
    snapshotRestore(id) {
      const s = slot(id);
      const bytes = s.instance.snapshot().encode();
      const image = s.program.decodeImage(bytes);
      s.instance = s.program.instantiate(id, image, createHarnessHost(world, id));
      world.instances.set(id, s.instance);
      return bytes.byteLength;
    },
    imageHash: (id) => slot(id).instance.snapshot().hash,
    status: (id) => slot(id).instance.status,
    payout: (id) => slot(id).instance.payout(world.now, callGas),
    dependencies: (id) => slot(id).instance.dependencies(world.now, callGas),
    coschedule(ids) {
      world.coscheduled = ids === null ? null : [...ids];
    },
    coscheduled: () => coscheduledIds(world),
    mailbox: (id) => world.mailboxes.get(id) ?? [],
    post(from, to, data) {
      slot(to);
      const box = world.mailboxes.get(to) ?? [];
      box.push({ from: { tag: "Actor", value: from }, to, data: data.slice() });
      world.mailboxes.set(to, box);
    },
    balanceOf: (id) => world.balances.get(id) ?? 0n,
    setBalance(id, amount) {
      slot(id);
      world.balances.set(id, amount);
    },
    advance(blocks = 1) {
      world.now += blocks;
      return world.now;
    },
    world,
    get logs() {
      return world.logs.map((l) => l.line);
    },
    get logEntries() {
      return world.logs;
    },
    get gasUsed() {
      return gasUsed;
    },
  };
  return h;
}
