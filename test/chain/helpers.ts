/**
 * Test doubles for chain-level tests: a deterministic stand-in Engine whose images are plain bytes
 * (hash = blake2b of the bytes), and builders of PoV bytes + effects that agree with each other.
 * End-to-end tests with the real Wasm engine and pov layer live in pov-e2e.test.ts.
 */

import type { ValidatedPov } from "../../src/chain/index.ts";
import {
  type Chain,
  chainConfig,
  createChain,
  createMemoryStorage,
  nextHead,
  type Storage,
  signTx,
  type TxCall,
} from "../../src/chain/index.ts";
import { concatBytes } from "../../src/codec/bytes.ts";
import type { AccountId, ActorId, CodeHash, Hash, StateHash } from "../../src/codec/ids.ts";
import { type Message, Pov } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair, type Keypair } from "../../src/crypto/ed25519.ts";
import type { PovEffects } from "../../src/pov/types.ts";
import type { ActorImage, Engine, Program } from "../../src/vm/engine.ts";

const enc = new TextEncoder();
export const bytes = (s: string) => enc.encode(s);

function image(b: Uint8Array): ActorImage {
  return {
    hash: blake2b256(b) as unknown as StateHash,
    pageCount: 0,
    status: "pending",
    encode: () => b,
    encodeDelta: () => b,
  };
}

/** Programs: any blob not starting with 0xff. Images: `init|codeHash|args`; slabs carry full images. */
export function fakeEngine(): Engine & { loads: number } {
  const e = {
    format: "wasm" as const,
    loads: 0,
    load(blob: Uint8Array): Program {
      e.loads++;
      if (blob[0] === 0xff) throw new Error("not a program");
      const codeHash = blake2b256(blob) as unknown as CodeHash;
      return {
        codeHash,
        metadata: { name: "fake", preemptible: false, build: "", interface: "" },
        createImage: (args) => image(concatBytes(bytes("init|"), codeHash, args)),
        decodeImage: (b) => {
          if (b[0] === 0xff) throw new Error("corrupt image");
          return image(b);
        },
        decodeImageAgainst: (_base, b) => {
          if (b[0] === 0xff) throw new Error("corrupt image");
          return image(b);
        },
        instantiate: () => {
          throw new Error("the fake engine does not execute");
        },
        // `upgraded|codeHash|prev|carry`; a carry starting with 0xff is an upgrade that traps
        upgradeImage: (_actor, prev, carry) =>
          carry[0] === 0xff
            ? { ok: false, reason: "Trap: fake upgrade trapped", gasUsed: 7n }
            : { ok: true, image: image(concatBytes(bytes("upgraded|"), codeHash, prev, carry)), gasUsed: 5n },
      };
    },
  };
  return e;
}

export const alice = devKeypair(0);
export const bob = devKeypair(1);
export const carol = devKeypair(2);
export const collator = devKeypair(9);
export const GENESIS_BALANCE = 10n ** 12n;

export const testConfig = chainConfig({
  cores: 4,
  pigeonholeCapacity: 4,
  callQueueCapacity: 3,
  maxCodeSize: 4096,
  maxPreimageSize: 256,
  maxCallInput: 128,
  genesis: {
    accounts: [alice, bob, carol].map((k) => ({ account: k.publicKey, balance: GENESIS_BALANCE })),
  },
});

export function newChain(storage: Storage = createMemoryStorage(), engine = fakeEngine()): Chain {
  return createChain({ storage, engine, config: testConfig });
}

/** Signs with the account's current nonce (or `nonce`). */
export function tx(chain: Chain, who: Keypair, call: TxCall, nonce?: bigint): Uint8Array {
  return signTx(who, { nonce: nonce ?? chain.nonceOf(who.publicKey), call }, chain.config);
}

/** Applies one block with `txs`, failing the test if any is refused. */
export function block(chain: Chain, txs: Uint8Array[] = [], povs: ValidatedPov[] = []) {
  const r = chain.applyBlock({ txs, povs, author: collator.publicKey });
  for (const t of r.txs) if (!t.result.ok) throw t.result.error;
  return r;
}

export const PROGRAM = concatBytes(bytes("\0cpl-fake-program"));

/** Uploads PROGRAM and creates `n` actors owned by alice, each endowed with `endowment`. */
export function setup(n = 2, endowment = 1_000_000n, chain = newChain()) {
  const up = block(chain, [tx(chain, alice, { tag: "Upload", value: { blob: PROGRAM } })]);
  const codeHash = up.txs[0].result.ok ? (up.txs[0].result.value.codeHash as CodeHash) : (undefined as never);
  const ids: ActorId[] = [];
  for (let i = 0; i < n; i++) {
    const r = block(chain, [
      tx(chain, alice, { tag: "Create", value: { codeHash, args: bytes(`actor${i}`), endowment } }),
    ]);
    ids.push((r.txs[0].result.ok && r.txs[0].result.value.actor) as ActorId);
  }
  return { chain, codeHash, ids };
}

export const emptyEffects = (): PovEffects => ({
  transitions: [],
  sent: [],
  received: [],
  transfers: [],
  codeChanges: [],
  stored: [],
  released: [],
  requested: [],
  calls: [],
  payouts: [],
  logs: [],
  gasUsed: 0n,
});

export interface SlabSpec {
  actor: ActorId;
  sequence: bigint;
  pre: Uint8Array;
  post: Uint8Array;
}

/** A slab advancing `actor` from the chain's current state (or from `from`, for pipelining). */
export function nextSlab(chain: Chain, actor: ActorId, tag: string, from?: SlabSpec): SlabSpec {
  const pre = from ? from.post : (chain.slab(actor) as Uint8Array);
  const sequence = from ? from.sequence + 1n : (chain.actor(actor)?.sequence ?? 0n) + 1n;
  return { actor, sequence, pre, post: concatBytes(bytes(`post|${tag}|${sequence}|`), pre.subarray(0, 40)) };
}

/** PoV bytes and effects for `slabs`; `fx` adds effects. */
export function makePov(
  slabs: SlabSpec[],
  fx: Partial<PovEffects> = {},
  opts: { core?: number; collator?: AccountId; salt?: string } = {},
): ValidatedPov {
  const pov = Pov.enc({
    agenda: slabs.map((s) => ({ actor: s.actor, entry: { tag: "Service" as const, value: { times: 1 } } })),
    slabs: slabs.map((s) => ({ actor: s.actor, sequence: s.sequence, pre: s.pre, post: s.post })),
    witness: bytes(opts.salt ?? ""),
  });
  return {
    core: opts.core ?? 0,
    pov,
    collator: opts.collator ?? collator.publicKey,
    effects: {
      ...emptyEffects(),
      transitions: slabs.map((s) => ({
        actor: s.actor,
        sequence: s.sequence,
        preHash: blake2b256(s.pre),
        postHash: blake2b256(s.post),
      })),
      ...fx,
    },
  };
}

/** A `received` entry consuming the first `count` of `messages` (seen = count unless given). */
export function receivedOf(
  actor: ActorId,
  headBefore: Hash,
  messages: Message[],
  count: number,
  seen = count,
) {
  let head = headBefore;
  let headAfter = headBefore;
  for (const [i, m] of messages.slice(0, seen).entries()) {
    head = nextHead(head, m);
    if (i + 1 === count) headAfter = head;
  }
  return { actor, count, headBefore, headAfter, seen, headSeen: head };
}

/** Sum of every balance and deposit held anywhere. */
export function totalHeld(chain: Chain, accounts: AccountId[]): bigint {
  let sum = 0n;
  for (const a of accounts) {
    const info = chain.account(a);
    sum += info.free + info.reserved;
  }
  for (const id of chain.actorIds()) {
    const a = chain.actor(id);
    if (a) sum += a.balance + a.diskDeposit;
  }
  return sum;
}
