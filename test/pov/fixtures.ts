/**
 * Script actors and a relay-view builder for pov tests. The "kit" actor runs small JSON op lists, given
 * as call input or (for main's steps) as its init args, so tests and properties can make any play.
 */
import { type AccountId, type ActorId, actorId, type CodeHash, type Hash } from "../../src/codec/ids.ts";
import type { CallOutput, Message } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import type { DraftItem } from "../../src/pov/build.ts";
import type { CodeSource, RelayView } from "../../src/pov/types.ts";
import type { Engine } from "../../src/vm/engine.ts";
import { type Ctx, createScriptEngine, type ScriptActor, scriptBlob } from "./script-engine.ts";

export type Op =
  | ["inc"]
  | ["send", number, string]
  | ["recv"]
  | ["lookup", string]
  | ["store", string]
  | ["release", string]
  | ["request", string]
  | ["transfer", number, string]
  | ["setCode", string]
  | ["log", string]
  | ["call", number, Op[]]
  | ["fail"]
  | ["trap"]
  | ["yield"]
  | ["burn", number]
  | ["balance"];

const te = new TextEncoder();
const td = new TextDecoder();
export const utf8 = (s: string): Uint8Array => te.encode(s);
export const text = (b: Uint8Array): string => td.decode(b);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const num = (b: Uint8Array | undefined): number => (b ? Number(text(b)) : 0);

function append(ctx: Ctx, key: string, line: string): void {
  const prev = ctx.mem.get(key);
  ctx.mem.set(key, utf8(prev ? `${text(prev)}|${line}` : line));
}

function runOps(ctx: Ctx, ops: Op[]): Uint8Array | { error: Uint8Array } {
  for (const op of ops) {
    ctx.charge(1);
    switch (op[0]) {
      case "inc":
        ctx.mem.set("n", utf8(String(num(ctx.mem.get("n")) + 1)));
        break;
      case "send":
        append(ctx, "sent", String(ctx.h((h) => h.send(actorId(op[1]), utf8(op[2])))));
        break;
      case "recv": {
        const m: Message | undefined = ctx.h((h) => h.recv());
        append(ctx, "inbox", m ? text(m.data) : "-");
        break;
      }
      case "lookup": {
        const found = ctx.h((h) => h.lookup(unhex(op[1]) as Hash));
        append(ctx, "found", found ? text(found) : "-");
        break;
      }
      case "store": {
        const r = ctx.h((h) => h.store(utf8(op[1])));
        append(ctx, "stored", r.hash ? hex(r.hash) : String(r.code));
        break;
      }
      case "release":
        ctx.h((h) => h.release(unhex(op[1]) as Hash));
        break;
      case "request":
        ctx.h((h) => h.request(unhex(op[1]) as Hash));
        break;
      case "transfer":
        append(ctx, "paid", String(ctx.h((h) => h.transfer(actorId(op[1]), BigInt(op[2])))));
        break;
      case "setCode":
        ctx.h((h) => h.setCode(unhex(op[1]) as CodeHash, new Uint8Array()));
        break;
      case "log":
        ctx.h((h) => h.log(op[1]));
        break;
      case "call": {
        const out: CallOutput = ctx.callActor(actorId(op[1]), utf8(JSON.stringify(op[2])));
        append(ctx, "replies", out.success ? `ok:${text(out.value)}` : `err:${out.value.tag}`);
        break;
      }
      case "fail":
        return { error: utf8("nope") };
      case "trap":
        throw new Error("trap");
      case "yield":
        ctx.yieldNow();
        break;
      case "burn":
        ctx.charge(op[1]);
        break;
      case "balance":
        append(ctx, "balance", String(ctx.h((h) => h.balance())));
        break;
    }
  }
  return utf8(String(num(ctx.mem.get("n"))));
}

export const kit: ScriptActor = {
  main: [0, 1, 2].map((i) => (ctx: Ctx, args: Uint8Array) => {
    const plan = (args.byteLength ? JSON.parse(text(args)) : []) as Op[][];
    const r = runOps(ctx, plan[i] ?? []);
    if (!(r instanceof Uint8Array)) throw new Error("main failed");
  }),
  call: (ctx, _origin, input) => runOps(ctx, JSON.parse(text(input)) as Op[]),
  payout: (mem) => BigInt(num(mem.get("n"))),
};

/** Reports its caller: replies with the origin (or "none"). */
export const whoami: ScriptActor = {
  main: [() => {}],
  call: (_ctx, origin) => utf8(origin === null ? "none" : String(origin)),
};

export const PROGRAMS = { kit, whoami };
export const KIT_HASH = blake2b256(scriptBlob("kit")) as Uint8Array as CodeHash;

export interface ActorSpec {
  id: number;
  program?: keyof typeof PROGRAMS;
  /** main's steps, each an op list. */
  plan?: Op[][];
  balance?: bigint;
  sequence?: bigint;
}

export interface Fixture {
  engine: Engine;
  codes: CodeSource;
  view: RelayView;
  pre: Map<number, Uint8Array>;
  slabs: Array<{ actor: ActorId; pre: Uint8Array }>;
}

/**
 * A view in which actors 0..255 exist and each has ample pigeonhole and disk room: tests of the play
 * itself send and store freely; the room rules have tests of their own (test/pov/room.test.ts).
 */
export function roomyView(): Pick<RelayView, "nextActor" | "room"> {
  const room: RelayView["room"] = [];
  for (let a = 0; a < 256; a++) room.push({ actor: actorId(a), pigeonhole: 1 << 20, disk: 1n << 40n });
  return { nextActor: 256, room };
}

export function setup(
  actors: ActorSpec[],
  opts: { coreGas?: bigint; callGas?: bigint; now?: number; engine?: Engine } = {},
): Fixture {
  const engine = opts.engine ?? createScriptEngine(PROGRAMS);
  const blobs = new Map<string, Uint8Array>();
  for (const name of Object.keys(PROGRAMS)) blobs.set(hex(blake2b256(scriptBlob(name))), scriptBlob(name));
  const codes: CodeSource = { code: (h) => blobs.get(hex(h)) };
  const pre = new Map<number, Uint8Array>();
  const views: RelayView["actors"] = [];
  for (const a of actors) {
    const blob = scriptBlob(a.program ?? "kit");
    const image = engine.load(blob).createImage(utf8(a.plan ? JSON.stringify(a.plan) : ""));
    pre.set(a.id, image.encode());
    views.push({
      actor: actorId(a.id),
      codeHash: blake2b256(blob) as Uint8Array as CodeHash,
      sequence: a.sequence ?? 0n,
      stateHash: image.hash as Uint8Array as Hash,
      balance: a.balance ?? 1000n,
    });
  }
  const view: RelayView = {
    relayParent: blake2b256(utf8("parent")),
    now: opts.now ?? 7,
    coreGas: opts.coreGas ?? 1_000_000n,
    callGas: opts.callGas ?? 100_000n,
    actors: views,
    ...roomyView(),
  };
  return {
    engine,
    codes,
    view,
    pre,
    slabs: actors.map((a) => ({ actor: actorId(a.id), pre: pre.get(a.id) as Uint8Array })),
  };
}

export const service = (actor: number, times = 1): DraftItem => ({
  actor: actorId(actor),
  entry: { tag: "Service", value: { times } },
});
export const call = (actor: number, ops: Op[]): DraftItem => ({
  actor: actorId(actor),
  entry: { tag: "Call", value: { input: utf8(JSON.stringify(ops)) } },
});

/** A postcard from an account to `to`, as a pigeonhole would hold it. */
export const postcard = (to: number, data: string): Message => ({
  from: { tag: "Account", value: new Uint8Array(32).fill(9) as AccountId },
  to: actorId(to),
  data: utf8(data),
});
