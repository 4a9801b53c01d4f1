/**
 * The harness's HostEnv: a tiny in-memory theatre for off-chain runs (PocketIC-like). All harness actors
 * share one {@link World}: co-scheduled calls, postcards, an in-memory disk, balances and logs. Effects
 * of an entry that fails are undone through a journal, as the real executor does (DESIGN §4 rule 4).
 * The relay chain's executor (src/pov) is the real HostEnv; keep this one small.
 */
import { toHex } from "../codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../codec/ids.ts";
import type { CallOutput, Message } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { HOST_ERROR } from "../vm/abi.ts";
import type { ActorInstance, HostEnv } from "../vm/engine.ts";

/** Bounds of the harness (generous; the chain's limits live in src/pov). */
export const HARNESS_LIMITS = { maxMessage: 64 * 1024, maxPreimage: 1024 * 1024 } as const;

export interface LogEntry {
  actor: ActorId;
  line: string;
}

/** One preimage on the in-memory disk, with its references per actor. */
export interface DiskItem {
  data: Uint8Array;
  refs: Map<ActorId, number>;
}

/** Shared state of a harness run. */
export interface World {
  now: number;
  readonly instances: Map<ActorId, ActorInstance>;
  /** Co-scheduled actors (everyone when null). */
  coscheduled: ActorId[] | null;
  /** Actors currently on the call stack (re-entry check). */
  readonly stack: ActorId[];
  readonly mailboxes: Map<ActorId, Message[]>;
  /** Postcards sent by the running agenda item; delivered when it ends well. */
  readonly outbox: Message[];
  readonly balances: Map<ActorId, bigint>;
  readonly disk: Map<string, DiskItem>;
  readonly requested: Array<{ actor: ActorId; hash: Hash }>;
  /** Code hashes of the programs loaded into the harness (set_code accepts only these). */
  readonly codes: Set<string>;
  /** set_code requests; the harness records them but keeps running the old code. */
  readonly codeChanges: Map<ActorId, CodeHash>;
  readonly logs: LogEntry[];
  readonly undo: Array<() => void>;
}

export function createWorld(now = 1): World {
  return {
    now,
    instances: new Map(),
    coscheduled: null,
    stack: [],
    mailboxes: new Map(),
    outbox: [],
    balances: new Map(),
    disk: new Map(),
    requested: [],
    codes: new Set(),
    codeChanges: new Map(),
    logs: [],
    undo: [],
  };
}

/** A point to roll back to. */
export const mark = (w: World): number => w.undo.length;

/** Undoes, newest first, every effect since `m`. */
export function rollback(w: World, m: number): void {
  while (w.undo.length > m) (w.undo.pop() as () => void)();
}

export function coscheduledIds(w: World): ActorId[] {
  const ids = w.coscheduled ?? [...w.instances.keys()];
  return ids.filter((id) => w.instances.has(id)).sort((a, b) => a - b);
}

const callErr = (tag: "Reentry" | "NotCoscheduled"): CallOutput => ({
  success: false,
  value: { tag, value: undefined },
});

/**
 * The HostEnv of actor `self` in world `w`.
 *
 * @example const host = createHarnessHost(world, actorId(1));
 */
export function createHarnessHost(w: World, self: ActorId): HostEnv {
  const record = (fn: () => void) => w.undo.push(fn);
  const setBalance = (id: ActorId, v: bigint) => {
    const old = w.balances.get(id) ?? 0n;
    w.balances.set(id, v);
    record(() => w.balances.set(id, old));
  };
  return {
    self,
    get now() {
      return w.now;
    },
    coscheduled: () => coscheduledIds(w),
    callActor(callee, data, gasLimit) {
      const instance = w.instances.get(callee);
      if (!instance || !coscheduledIds(w).includes(callee) || !coscheduledIds(w).includes(self)) {
        return { output: callErr("NotCoscheduled"), gasUsed: 0n };
      }
      if (w.stack.includes(callee)) return { output: callErr("Reentry"), gasUsed: 0n };
      const m = mark(w);
      w.stack.push(callee);
      try {
        const outcome = instance.call(self, data, gasLimit);
        // The callee's failure undoes the callee's effects (the engine rolls back its image).
        if (!outcome.output.success) rollback(w, m);
        return outcome;
      } finally {
        w.stack.pop();
      }
    },
    send(to, data) {
      if (data.byteLength > HARNESS_LIMITS.maxMessage) return HOST_ERROR.TooLarge;
      if (!w.instances.has(to)) return HOST_ERROR.UnknownActor;
      w.outbox.push({ from: { tag: "Actor", value: self }, to, data: data.slice() });
      record(() => w.outbox.pop());
      return 0;
    },
    recv() {
      const box = w.mailboxes.get(self);
      const message = box?.shift();
      if (box && message) record(() => box.unshift(message));
      return message;
    },
    lookup(hash) {
      return w.disk.get(toHex(hash))?.data;
    },
    request(hash) {
      w.requested.push({ actor: self, hash });
      record(() => w.requested.pop());
      return 0;
    },
    store(data) {
      if (data.byteLength > HARNESS_LIMITS.maxPreimage) return { code: HOST_ERROR.TooLarge };
      const hash = blake2b256(data);
      const key = toHex(hash);
      let item = w.disk.get(key);
      if (!item) {
        item = { data: data.slice(), refs: new Map() };
        w.disk.set(key, item);
        record(() => w.disk.delete(key));
      }
      const refs = item.refs;
      refs.set(self, (refs.get(self) ?? 0) + 1);
      record(() => {
        const n = (refs.get(self) ?? 1) - 1;
        if (n === 0) refs.delete(self);
        else refs.set(self, n);
      });
      return { code: 0, hash };
    },
    release(hash) {
      const key = toHex(hash);
      const item = w.disk.get(key);
      const n = item?.refs.get(self);
      if (!item || n === undefined) return HOST_ERROR.NotFound;
      if (n > 1) item.refs.set(self, n - 1);
      else item.refs.delete(self);
      const freed = item.refs.size === 0;
      if (freed) w.disk.delete(key);
      record(() => {
        item.refs.set(self, n);
        if (freed) w.disk.set(key, item);
      });
      return 0;
    },
    balance: () => w.balances.get(self) ?? 0n,
    transfer(to, amount) {
      if (!w.instances.has(to)) return HOST_ERROR.UnknownActor;
      const mine = w.balances.get(self) ?? 0n;
      if (amount < 0n || mine < amount) return HOST_ERROR.Insufficient;
      setBalance(self, mine - amount);
      setBalance(to, (w.balances.get(to) ?? 0n) + amount);
      return 0;
    },
    setCode(hash) {
      if (!w.codes.has(toHex(hash))) return HOST_ERROR.NotFound;
      const had = w.codeChanges.get(self);
      w.codeChanges.set(self, hash);
      record(() => {
        if (had) w.codeChanges.set(self, had);
        else w.codeChanges.delete(self);
      });
      return 0;
    },
    log(line) {
      // Logs are kept even when the entry fails: they are how an author finds out why.
      w.logs.push({ actor: self, line });
    },
  };
}
