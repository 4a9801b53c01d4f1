/**
 * Issue "Must show" 3: random interleavings of valid, forged, pipelined, competing and replayed PoVs and
 * transactions never break the invariants: sequence +1 per canonicalisation, an unbroken state hash
 * chain, total issuance constant (fees and payouts move money to the collators, never create or destroy
 * it), no postcard lost or duplicated, refcounts never negative.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SignedTx, type ValidatedPov } from "../../src/chain/index.ts";
import type { AccountId, ActorId, Hash } from "../../src/codec/ids.ts";
import type { Message } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { headAfter } from "../../src/pov/pigeonhole.ts";
import {
  alice,
  bob,
  bytes,
  carol,
  collator,
  GENESIS_BALANCE,
  makePov,
  nextSlab,
  receivedOf,
  setup,
  totalHeld,
  tx,
} from "./helpers.ts";

const keys = [alice, bob, carol];
const accounts: AccountId[] = [...keys, collator].map((k) => k.publicKey);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const txOp = fc.oneof(
  fc.record({
    kind: fc.constant("transfer" as const),
    from: fc.nat(2),
    to: fc.nat(3),
    amount: fc.bigInt(0n, 5000n),
  }),
  fc.record({
    kind: fc.constant("post" as const),
    from: fc.nat(2),
    actor: fc.nat(3),
    data: fc.string({ maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant("fund" as const),
    from: fc.nat(2),
    actor: fc.nat(2),
    amount: fc.bigInt(1n, 3000n),
  }),
  fc.record({ kind: fc.constant("store" as const), from: fc.nat(2), item: fc.nat(2) }),
  fc.record({ kind: fc.constant("release" as const), from: fc.nat(2), item: fc.nat(2) }),
  fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("forge" as const), from: fc.nat(2), bit: fc.nat(511) }),
);

const povOp = fc.oneof(
  fc.record({
    kind: fc.constant("valid" as const),
    actors: fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 2 }),
    recv: fc.nat(3),
    sends: fc.array(fc.tuple(fc.nat(2), fc.string({ maxLength: 4 })), { maxLength: 3 }),
    transfer: fc.bigInt(0n, 4000n),
    payout: fc.bigInt(0n, 300n),
    ahead: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("forgedPre" as const), actor: fc.nat(2) }),
  fc.record({ kind: fc.constant("forgedRecv" as const), actor: fc.nat(2) }),
  fc.record({ kind: fc.constant("staleSeq" as const), actor: fc.nat(2) }),
  fc.record({ kind: fc.constant("replayPov" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("submitAhead" as const), pick: fc.nat() }),
);

const blockOp = fc.record({ txs: fc.array(txOp, { maxLength: 4 }), povs: fc.array(povOp, { maxLength: 3 }) });

const ITEMS = [bytes("alpha"), bytes("beta"), bytes("gamma")];

describe("chain invariants under random interleavings (property)", () => {
  it("hold for every block", () => {
    // how often each path ran, so the property cannot pass by never exercising them
    const seen = { canonicalised: 0, expired: 0, pipelined: 0, received: 0, rejectedPovs: 0, feesPaid: 0 };
    fc.assert(
      fc.property(fc.array(blockOp, { minLength: 1, maxLength: 10 }), (blocks) => {
        const { chain, ids, codeHash } = setup(3, 10_000n);
        const initial = GENESIS_BALANCE * 3n;
        expect(chain.supply().issuance + chain.supply().burned).toBe(initial);
        const applied: Uint8Array[] = [];
        const submitted = new Map<string, ValidatedPov>();
        const everSubmitted: ValidatedPov[] = [];
        const aheadQueue: ValidatedPov[] = [];
        const model = new Map<number, Message[]>(ids.map((id) => [id, chain.pigeonhole(id)?.messages ?? []]));
        let fees = 0n;
        let salt = 0;

        for (const b of blocks) {
          // ---- transactions
          const txs: { bytes: Uint8Array; expect?: string }[] = [];
          const nonces = new Map<string, bigint>();
          const nextNonce = (k: (typeof keys)[number]) => {
            const key = hex(k.publicKey);
            const n = nonces.get(key) ?? chain.nonceOf(k.publicKey);
            nonces.set(key, n + 1n);
            return n;
          };
          for (const op of b.txs) {
            if (op.kind === "replay") {
              if (applied.length)
                txs.push({ bytes: applied[op.pick % applied.length], expect: "TX_STALE_NONCE" });
              continue;
            }
            const k = keys[op.from];
            if (op.kind === "forge") {
              const t = tx(chain, k, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } }, 0n);
              const f = t.slice();
              f[f.length - 64 + (op.bit % 64)] ^= 1 << (op.bit % 8);
              txs.push({ bytes: f, expect: "TX_BAD_SIGNATURE" });
              continue;
            }
            const call =
              op.kind === "transfer"
                ? { tag: "Transfer" as const, value: { to: accounts[op.to], amount: op.amount } }
                : op.kind === "post"
                  ? { tag: "Post" as const, value: { actor: op.actor as ActorId, data: bytes(op.data) } }
                  : op.kind === "fund"
                    ? { tag: "Fund" as const, value: { actor: ids[op.actor], amount: op.amount } }
                    : op.kind === "store"
                      ? { tag: "Store" as const, value: { data: ITEMS[op.item] } }
                      : { tag: "Release" as const, value: { hash: blake2b256(ITEMS[op.item]) as Hash } };
            txs.push({ bytes: tx(chain, k, call, nextNonce(k)) });
          }

          // ---- PoVs (built against the state before this block)
          const povs: ValidatedPov[] = [];
          for (const op of b.povs) {
            salt++;
            if (op.kind === "replayPov") {
              if (everSubmitted.length) povs.push(everSubmitted[op.pick % everSubmitted.length]);
              continue;
            }
            if (op.kind === "submitAhead") {
              if (aheadQueue.length) povs.push(aheadQueue.splice(op.pick % aheadQueue.length, 1)[0]);
              continue;
            }
            if (op.kind === "forgedPre") {
              const s = { ...nextSlab(chain, ids[op.actor], `f${salt}`), pre: bytes(`forged${salt}`) };
              povs.push(makePov([s], {}, { salt: `${salt}` }));
              continue;
            }
            if (op.kind === "staleSeq") {
              const s = nextSlab(chain, ids[op.actor], `s${salt}`);
              povs.push(
                makePov(
                  [{ ...s, sequence: chain.actor(ids[op.actor])?.sequence ?? 0n }],
                  {},
                  { salt: `${salt}` },
                ),
              );
              continue;
            }
            if (op.kind === "forgedRecv") {
              const id = ids[op.actor];
              const ph = chain.pigeonhole(id);
              const fake: Message = { from: { tag: "Actor", value: id }, to: id, data: bytes(`fake${salt}`) };
              povs.push(
                makePov(
                  [nextSlab(chain, id, `r${salt}`)],
                  { received: [receivedOf(id, ph?.head as Hash, [fake], 1)] },
                  { salt: `${salt}` },
                ),
              );
              continue;
            }
            // valid: from the chain's state, or pipelined one ahead of the last one built
            const actors = op.actors.map((i) => ids[i]);
            if (op.ahead) {
              const id = actors[0];
              // build n+1 and n+2 now; n+2 goes in this block (it waits), n+1 is held back for later
              const s1 = nextSlab(chain, id, `t${salt}`);
              const s2 = nextSlab(chain, id, `t${salt}`, s1);
              aheadQueue.push(makePov([s1], {}, { salt: `a${salt}` }));
              povs.push(
                makePov(
                  [s2],
                  {
                    sent: op.sends.map(([to, d]) => ({
                      from: { tag: "Actor" as const, value: id },
                      to: ids[to],
                      data: bytes(d),
                    })),
                  },
                  { salt: `a${salt}` },
                ),
              );
              continue;
            }
            const slabs = actors.map((id) => nextSlab(chain, id, `v${salt}`));
            const first = actors[0];
            const ph = chain.pigeonhole(first);
            const n = Math.min(op.recv, ph?.messages.length ?? 0);
            povs.push(
              makePov(
                slabs,
                {
                  received: n ? [receivedOf(first, ph?.head as Hash, ph?.messages ?? [], n)] : [],
                  sent: op.sends.map(([to, d]) => ({
                    from: { tag: "Actor" as const, value: first },
                    to: ids[to],
                    data: bytes(d),
                  })),
                  transfers: op.transfer
                    ? [{ from: first, to: actors[1] ?? ids[(first + 1) % 3], amount: op.transfer }]
                    : [],
                  payouts: op.payout ? [{ actor: first, amount: op.payout }] : [],
                },
                { salt: `${salt}` },
              ),
            );
          }
          // assign distinct cores in order; admission decides the rest
          povs.forEach((p, i) => {
            p.core = i % chain.config.cores;
          });

          const before = new Map(ids.map((id) => [id, chain.actor(id)]));
          const r = chain.applyBlock({ txs: txs.map((t) => t.bytes), povs, author: collator.publicKey });
          seen.expired += r.expired.length;
          seen.rejectedPovs += r.povs.filter((p) => !p.result.ok).length;
          for (const p of povs) {
            submitted.set(hex(blake2b256(p.pov)), p);
            if (!everSubmitted.includes(p)) everSubmitted.push(p);
          }

          // replays and forgeries are always refused; every ok tx is recorded and paid
          r.txs.forEach((t, i) => {
            if (txs[i].expect) expect(!t.result.ok && t.result.error.code).toBe(txs[i].expect);
            if (t.result.ok) {
              applied.push(txs[i].bytes);
              fees += t.result.value.fee;
            }
          });
          // model: ok Post txs append, in order
          for (const [i, t] of r.txs.entries()) {
            if (!t.result.ok) continue;
            const decoded = chainDecode(txs[i].bytes);
            if (decoded.tag === "Post") {
              model.get(decoded.value.actor)?.push({
                from: { tag: "Account", value: decoded.signer },
                to: decoded.value.actor,
                data: decoded.value.data,
              });
            }
          }

          // sequence +1 and an unbroken hash chain per canonicalisation, in cascade order
          const seq = new Map(ids.map((id) => [id, before.get(id)?.sequence ?? 0n]));
          const hash = new Map(ids.map((id) => [id, before.get(id)?.stateHash as Uint8Array]));
          for (const c of r.canonicalised) {
            const p = submitted.get(hex(c.id));
            expect(p).toBeDefined();
            if (!p) continue;
            seen.canonicalised++;
            if (p.effects.transitions.some((t) => t.sequence > (before.get(t.actor)?.sequence ?? 0n) + 1n))
              seen.pipelined++;
            if (p.effects.received.length) seen.received++;
            for (const t of p.effects.transitions) {
              expect(t.sequence).toBe((seq.get(t.actor) ?? 0n) + 1n);
              expect(hex(t.preHash)).toBe(hex(hash.get(t.actor) as Uint8Array));
              seq.set(t.actor, t.sequence);
              hash.set(t.actor, t.postHash);
            }
            for (const rc of p.effects.received) model.get(rc.actor)?.splice(0, rc.count);
            for (const m of p.effects.sent) model.get(m.to)?.push(m);
          }
          for (const id of ids) {
            const a = chain.actor(id);
            expect(a?.sequence).toBe(seq.get(id));
            expect(hex(a?.stateHash as Uint8Array)).toBe(hex(hash.get(id) as Uint8Array));
            // the current slab is the image the state hash commits to
            expect(hex(blake2b256(chain.slab(id) as Uint8Array))).toBe(hex(a?.stateHash as Uint8Array));
            // no postcard lost or duplicated, and the chain heads agree with the queue
            const ph = chain.pigeonhole(id);
            expect(ph?.messages).toEqual(model.get(id));
            expect(hex(headAfter(ph?.head as Hash, ph?.messages ?? []))).toBe(hex(ph?.tail as Uint8Array));
          }
          // every pooled PoV still waits on a future sequence
          for (const p of chain.pool())
            for (const s of p.slabs) expect(s.sequence).toBeGreaterThan(chain.actor(s.actor)?.sequence ?? 0n);

          // issue 13 §4: total issuance constant; every fee and payout went to the collator
          const supply = chain.supply();
          expect(supply).toEqual({ issuance: initial, burned: 0n });
          expect(totalHeld(chain, accounts)).toBe(initial);
          if (fees > 0n) seen.feesPaid++;

          // refcounts: code = upload + actors; preimages = sum of holders', never negative
          expect(chain.codeInfo(codeHash)?.refs).toBe(1 + ids.length);
          for (const item of ITEMS) {
            const info = chain.preimageInfo(blake2b256(item) as Hash);
            if (info) expect(info.refs).toBeGreaterThan(0);
          }
        }
      }),
      // A fixed seed: the coverage check below (every path exercised) must not depend on luck; with a
      // random seed, 25 runs sometimes drew no received postcard. FC_SEED=<n> explores other cases.
      { numRuns: 40, seed: Number(process.env.FC_SEED ?? 20261126) },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  });
});

function chainDecode(bytes: Uint8Array) {
  const t = SignedTx.dec(bytes);
  if (t.payload.call.tag === "Post")
    return { tag: "Post" as const, value: t.payload.call.value, signer: t.payload.signer };
  return { tag: t.payload.call.tag, value: undefined, signer: t.payload.signer };
}
