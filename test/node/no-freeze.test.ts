/**
 * Issue 13 §0: one ordinary call must never freeze an actor. Random agendas of calls that send (to
 * existing, missing and full actors), store (with and without a reservation) and transfer (to existing
 * and missing actors), with postcards posted to fill pigeonholes, run through the real chain, the
 * node's collators (rule b) and stateless validation (rule a): no actor with work waits more than two
 * blocks, and the chain never refuses a valid PoV's effects.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Chain,
  createChain,
  createMemoryStorage,
  signTx,
  type TxCall,
  type ValidatedPov,
} from "../../src/chain/index.ts";
import { bytesEqual } from "../../src/codec/bytes.ts";
import type { ActorId, CodeHash } from "../../src/codec/ids.ts";
import { decodeExact } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import { createCollators } from "../../src/node/collator.ts";
import { RelayView } from "../../src/pov/types.ts";
import { validatePov } from "../../src/pov/validate.ts";
import { type Op, PROGRAMS, utf8 } from "../pov/fixtures.ts";
import { createScriptEngine, scriptBlob } from "../pov/script-engine.ts";

const ACTORS = 4;
const user = devKeypair(0);
const poster = devKeypair(1);
const author = devKeypair(9).publicKey;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // ids up to ACTORS + 2: some do not exist
  fc.tuple(fc.constant("send" as const), fc.nat(ACTORS + 2), fc.string({ maxLength: 3 })),
  fc.tuple(fc.constant("store" as const), fc.string({ minLength: 1, maxLength: 40 })),
  fc.tuple(fc.constant("transfer" as const), fc.nat(ACTORS + 2), fc.integer({ min: 1, max: 50 }).map(String)),
  fc.tuple(fc.constant("release" as const), fc.constant("00".repeat(32))),
  fc.constant(["inc"] as Op),
);
const blockArb = fc.record({
  calls: fc.array(fc.tuple(fc.nat(ACTORS - 1), fc.array(opArb, { maxLength: 6 })), { maxLength: 4 }),
  posts: fc.array(fc.nat(ACTORS - 1), { maxLength: 4 }),
});

function setup(): { chain: Chain; engine: ReturnType<typeof createScriptEngine>; ids: ActorId[] } {
  const engine = createScriptEngine(PROGRAMS);
  const chain = createChain({
    storage: createMemoryStorage(),
    engine,
    config: {
      cores: ACTORS,
      pigeonholeCapacity: 3,
      callQueueCapacity: 64,
      genesis: { accounts: [user, poster].map((k) => ({ account: k.publicKey, balance: 10n ** 15n })) },
    },
  });
  const txs = (calls: TxCall[]) =>
    chain.applyBlock({
      txs: calls.map((call, i) =>
        signTx(user, { nonce: chain.nonceOf(user.publicKey) + BigInt(i), call }, chain.config),
      ),
      povs: [],
      author,
    });
  const up = txs([{ tag: "Upload", value: { blob: scriptBlob("kit") } }]).txs[0]!.result;
  if (!up.ok) throw up.error;
  const codeHash = up.value.codeHash as CodeHash;
  const made = txs(
    Array.from({ length: ACTORS }, (_, i) => ({
      tag: "Create" as const,
      value: { codeHash, args: utf8(""), endowment: 1000n + BigInt(i) },
    })),
  );
  const ids = made.txs.map((t) => (t.result.ok ? (t.result.value.actor as ActorId) : (undefined as never)));
  // half the actors may store a little
  txs(
    ids
      .filter((_, i) => i % 2 === 0)
      .map((actor) => ({ tag: "Reserve" as const, value: { actor, bytes: 60n } })),
  );
  return { chain, engine, ids };
}

describe("no ordinary call freezes an actor (issue 13 §0, property)", () => {
  it("random sends, stores and transfers never leave an actor with work unscheduled for more than two blocks", () => {
    const seen = { unknownTargets: 0, fullRooms: 0, sends: 0, stores: 0, transfers: 0, canonicalised: 0 };
    fc.assert(
      fc.property(fc.array(blockArb, { minLength: 3, maxLength: 10 }), (blocks) => {
        const { chain, engine, ids } = setup();
        const col = createCollators({ chain, engine, collators: 2, cores: ACTORS });
        /** First block at which each actor had work and has not played since. */
        const waiting = new Map<ActorId, number>();
        let rejected = 0;
        // the random blocks, then quiet blocks until the work is done
        const plan = [...blocks, ...Array.from({ length: 4 }, () => ({ calls: [], posts: [] }))];
        for (const [n, b] of plan.entries()) {
          for (const a of ids) {
            const info = chain.actor(a)!;
            const st = col.status(a);
            const work =
              info.calls.len > 0 || info.pigeonhole.queue.len > 0 || st === "suspended" || st === "pending";
            if (work && !waiting.has(a)) waiting.set(a, n);
            if (!work) waiting.delete(a);
          }
          for (const [a, since] of waiting) expect(n - since, `actor ${a} waits`).toBeLessThanOrEqual(2);
          const { jobs } = col.build();
          const povs: ValidatedPov[] = [];
          for (const job of jobs) {
            const view = decodeExact(RelayView, job.view, "view");
            const v = validatePov(job.built.pov, view, chain.codeSource, engine);
            expect(v.tag).toBe("Valid");
            if (v.tag !== "Valid") continue;
            povs.push({ core: job.core, pov: job.built.pov, effects: v.value, collator: author });
            seen.sends += v.value.sent.length;
            for (const r of view.room) if (r.pigeonhole === 0) seen.fullRooms++;
            seen.stores += v.value.stored.length;
            seen.transfers += v.value.transfers.length;
          }
          for (const [, ops] of b.calls)
            for (const op of ops)
              if ((op[0] === "send" || op[0] === "transfer") && op[1] >= ACTORS) seen.unknownTargets++;
          let nonce = chain.nonceOf(user.publicKey);
          let pnonce = chain.nonceOf(poster.publicKey);
          const txs = [
            ...b.calls.map(([i, ops]) =>
              signTx(
                user,
                {
                  nonce: nonce++,
                  call: { tag: "Call", value: { actor: ids[i]!, input: utf8(JSON.stringify(ops)) } },
                },
                chain.config,
              ),
            ),
            ...b.posts.map((i) =>
              signTx(
                poster,
                { nonce: pnonce++, call: { tag: "Post", value: { actor: ids[i]!, data: utf8("p") } } },
                chain.config,
              ),
            ),
          ];
          const r = chain.applyBlock({ txs, povs, author });
          for (const e of r.expired) {
            if (e.reason.kind !== "EffectsRejected") continue;
            rejected++;
            const job = jobs.find((j) => bytesEqual(blake2b256(j.built.pov), e.id));
            if (job) col.refused(job);
          }
          for (const c of r.canonicalised) for (const a of c.actors) waiting.delete(a);
          seen.canonicalised += r.canonicalised.length;
          for (const p of r.povs) expect(p.result.ok).toBe(true);
        }
        // rule (a): with every effect decided from the view, the chain never refuses one
        expect(rejected).toBe(0);
        for (const a of ids) expect(chain.actor(a)!.calls.len, `actor ${a} calls left`).toBe(0);
      }),
      { seed: Number(process.env.FC_SEED ?? 13), numRuns: 25 },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });
});
