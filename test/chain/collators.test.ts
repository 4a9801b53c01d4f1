/**
 * Issue 15 at the chain: registered collators (genesis + RegisterCollator with a bond), the canonical
 * collator per actor and block (refusal otherwise), a dead collator's actors moving on after one
 * missed block, and Report transactions recording disputes and slashing a misbehaving collator.
 */
import { describe, expect, it } from "vitest";
import { canonicalCollator, rankCollators } from "../../src/chain/canonical.ts";
import { chainConfig, createChain, createMemoryStorage, signTx } from "../../src/chain/index.ts";
import {
  decodeStatement,
  encodeStatement,
  invalidVerdict,
  MAX_STATEMENT_BYTES,
  type Statement,
  signStatement,
  verifyStatement,
} from "../../src/chain/statement.ts";
import { bytesEqual } from "../../src/codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import {
  alice,
  bytes,
  fakeEngine,
  GENESIS_BALANCE,
  makePov,
  nextSlab,
  setup,
  testConfig,
  tx,
} from "./helpers.ts";

const cols = [devKeypair(1000), devKeypair(1001), devKeypair(1002)];
const vals = [devKeypair(2000), devKeypair(2001), devKeypair(2002), devKeypair(2003)];
const key = (k: { publicKey: Uint8Array }) => k.publicKey as AccountId;

function chainWithCollators() {
  const config = chainConfig({
    ...testConfig,
    validators: vals.map(key),
    collatorBond: 500n,
    genesis: {
      accounts: [...testConfig.genesis.accounts, { account: key(cols[2]!), balance: GENESIS_BALANCE }],
      collators: [key(cols[0]!), key(cols[1]!)],
    },
  });
  return createChain({ storage: createMemoryStorage(), engine: fakeEngine(), config });
}

const byKey = (c: AccountId) => cols.find((k) => bytesEqual(k.publicKey, c))!;

describe("canonical collator draw", () => {
  it("ranks every collator once, per actor and parent, the same everywhere", () => {
    const parent = blake2b256(bytes("p"));
    const keys = cols.map(key);
    const r = rankCollators(3 as ActorId, parent, keys);
    expect(r).toHaveLength(3);
    expect(new Set(r.map((k) => Buffer.from(k).toString("hex"))).size).toBe(3);
    expect(rankCollators(3 as ActorId, parent, [...keys].reverse())).toEqual(r);
    // across actors and parents the first choice varies (not always one collator)
    const firsts = new Set<string>();
    for (let a = 0; a < 30; a++)
      firsts.add(Buffer.from(canonicalCollator(a as ActorId, parent, keys)!).toString("hex"));
    expect(firsts.size).toBe(3);
    // a missed collator is skipped; missing all falls back to the first
    expect(canonicalCollator(3 as ActorId, parent, keys, [r[0]!])).toEqual(r[1]);
    expect(canonicalCollator(3 as ActorId, parent, keys, keys)).toEqual(r[0]);
  });
});

describe("registration", () => {
  it("genesis names the first collators; RegisterCollator reserves the bond; twice or too low is refused", () => {
    const chain = chainWithCollators();
    expect(chain.collators().map((c) => c.bond)).toEqual([0n, 0n]);
    const c2 = cols[2]!;
    const low = chain.applyBlock({
      txs: [signTx(c2, { nonce: 0n, call: { tag: "RegisterCollator", value: { bond: 10n } } }, chain.config)],
      author: key(vals[0]!),
    });
    expect(low.txs[0]!.result.ok ? "" : low.txs[0]!.result.error.code).toBe("TX_BOND_TOO_LOW");
    const free = chain.account(key(c2)).free;
    const r = chain.applyBlock({
      txs: [
        signTx(c2, { nonce: 0n, call: { tag: "RegisterCollator", value: { bond: 600n } } }, chain.config),
      ],
      author: key(vals[0]!),
    });
    expect(r.txs[0]!.result.ok).toBe(true);
    expect(chain.collators()).toHaveLength(3);
    const fee = r.txs[0]!.result.ok ? r.txs[0]!.result.value.fee : 0n;
    expect(chain.account(key(c2))).toMatchObject({ free: free - 600n - fee, reserved: 600n });
    const again = chain.applyBlock({
      txs: [
        signTx(c2, { nonce: 1n, call: { tag: "RegisterCollator", value: { bond: 600n } } }, chain.config),
      ],
      author: key(vals[0]!),
    });
    expect(again.txs[0]!.result.ok ? "" : again.txs[0]!.result.error.code).toBe("TX_ALREADY_REGISTERED");
  });

  it("a chain with no collators registered checks no canonical collator (coreplay dev)", () => {
    const { chain, ids } = setup(1);
    expect(chain.collators()).toEqual([]);
    expect(chain.canonicalCollator(ids[0]!)).toBeUndefined();
    const r = chain.applyBlock({
      txs: [],
      povs: [makePov([nextSlab(chain, ids[0]!, "a")])],
      author: key(vals[0]!),
    });
    expect(r.povs[0]!.result.ok).toBe(true);
  });
});

describe("canonical PoVs and misses", () => {
  it("refuses a PoV from a collator not canonical for its lowest actor, admits the canonical one", () => {
    const { chain, ids } = setup(1, 1_000_000n, chainWithCollators());
    const a = ids[0]!;
    const canon = chain.canonicalCollator(a)!;
    const other = chain.collators().find((c) => !bytesEqual(c.collator, canon))!.collator;
    const s = nextSlab(chain, a, "x");
    const r = chain.applyBlock({
      txs: [],
      povs: [makePov([s], {}, { collator: other })],
      author: key(vals[0]!),
    });
    expect(r.povs[0]!.result.ok ? "" : r.povs[0]!.result.error.code).toBe("POV_NOT_CANONICAL");
    const canon2 = chain.canonicalCollator(a)!;
    const ok = chain.applyBlock({
      txs: [],
      povs: [makePov([nextSlab(chain, a, "y")], {}, { collator: canon2 })],
      author: key(vals[0]!),
    });
    expect(ok.povs[0]!.result.ok).toBe(true);
    expect(ok.canonicalised).toHaveLength(1);
  });

  it("an actor with work whose canonical collator brings nothing moves to another collator next block", () => {
    const { chain, ids } = setup(1, 1_000_000n, chainWithCollators());
    const a = ids[0]!;
    // give the actor work: a queued call
    chain.applyBlock({
      txs: [tx(chain, alice, { tag: "Call", value: { actor: a, input: bytes("hi") } })],
      author: key(vals[0]!),
    });
    expect(chain.actor(a)!.calls.len).toBe(1);
    // the drawn collator is "dead": blocks without its PoV; each next canonical differs from the last
    const dead = chain.canonicalCollator(a)!;
    chain.applyBlock({ txs: [], author: key(vals[0]!) });
    const next = chain.canonicalCollator(a)!;
    expect(bytesEqual(next, dead)).toBe(false);
    // the new canonical collator's PoV is admitted, and the actor's misses are forgotten
    const r = chain.applyBlock({
      txs: [],
      povs: [makePov([nextSlab(chain, a, "z")], {}, { collator: next })],
      author: key(vals[0]!),
    });
    expect(r.povs[0]!.result.ok).toBe(true);
    expect(byKey(next)).toBeDefined();
  });

  it("the draw is deterministic: two chains fed the same blocks agree on state roots", () => {
    const run = () => {
      const { chain, ids } = setup(2, 1_000_000n, chainWithCollators());
      chain.applyBlock({
        txs: [tx(chain, alice, { tag: "Call", value: { actor: ids[1]!, input: bytes("q") } })],
        author: key(vals[0]!),
      });
      for (let i = 0; i < 4; i++) chain.applyBlock({ txs: [], author: key(vals[0]!) });
      return chain.head().header.stateRoot;
    };
    expect(run()).toEqual(run());
  });
});

describe("statements and reports", () => {
  const stmt = (verdict: Statement["verdict"], collator = key(cols[0]!)): Statement => ({
    pov: blake2b256(bytes("pov")) as Hash,
    relayParent: blake2b256(bytes("parent")) as Hash,
    core: 1,
    collator,
    verdict,
  });
  const validV = (): Statement["verdict"] => ({
    tag: "Valid",
    value: { effects: blake2b256(bytes("fx")) as Hash },
  });

  it("round-trips on the wire within its bound; forged, unknown and oversized statements are refused", () => {
    const s = signStatement(stmt(invalidVerdict("x".repeat(1000))), vals[0]!);
    const b = encodeStatement(s);
    expect(b.length).toBeLessThanOrEqual(MAX_STATEMENT_BYTES);
    const d = decodeStatement(b);
    expect(d.ok && verifyStatement(d.value, vals.map(key)).ok).toBe(true);
    expect(decodeStatement(new Uint8Array(MAX_STATEMENT_BYTES + 1))).toEqual({
      ok: false,
      error: "Oversized",
    });
    expect(decodeStatement(bytes("garbage"))).toEqual({ ok: false, error: "Malformed" });
    const forged = { ...s, statement: { ...s.statement, core: 2 } };
    expect(verifyStatement(forged, vals.map(key))).toEqual({ ok: false, error: "BadSignature" });
    expect(verifyStatement(s, [key(vals[1]!)])).toEqual({ ok: false, error: "UnknownValidator" });
  });

  it("two invalid statements slash a bonded collator (to the reporter); it stays in the draw with no bond", () => {
    const chain = chainWithCollators();
    const c2 = cols[2]!;
    chain.applyBlock({
      txs: [
        signTx(c2, { nonce: 0n, call: { tag: "RegisterCollator", value: { bond: 700n } } }, chain.config),
      ],
      author: key(vals[3]!),
    });
    const bad = stmt(invalidVerdict("POV_VERDICT: wrong post"), key(c2));
    const statements = [signStatement(bad, vals[0]!), signStatement(bad, vals[1]!)];
    // one statement is not enough; a validator reports without a fee (it holds no balance)
    const one = chain.applyBlock({
      txs: [
        signTx(
          vals[0]!,
          { nonce: 0n, fee: 0n, call: { tag: "Report", value: { statements: statements.slice(0, 1) } } },
          chain.config,
        ),
      ],
      author: key(vals[3]!),
    });
    expect(one.txs[0]!.result.ok ? "" : one.txs[0]!.result.error.code).toBe("TX_BAD_REPORT");
    const r = chain.applyBlock({
      txs: [
        signTx(
          vals[0]!,
          { nonce: 0n, fee: 0n, call: { tag: "Report", value: { statements } } },
          chain.config,
        ),
      ],
      author: key(vals[3]!),
    });
    expect(r.txs[0]!.result.ok).toBe(true);
    const [rep] = chain.reports();
    expect(rep!.kind.tag).toBe("Misbehaviour");
    expect(rep!.slashed).toBe(700n);
    expect(chain.account(key(vals[0]!)).free).toBe(700n);
    expect(chain.account(key(c2)).reserved).toBe(0n);
    expect(chain.collators().find((c) => bytesEqual(c.collator, key(c2)))?.bond).toBe(0n);
    // the same PoV again is refused; a non-validator pays fees and forged statements are refused
    const twice = chain.applyBlock({
      txs: [
        signTx(
          vals[1]!,
          { nonce: 0n, fee: 0n, call: { tag: "Report", value: { statements } } },
          chain.config,
        ),
      ],
      author: key(vals[3]!),
    });
    expect(twice.txs[0]!.result.ok ? "" : twice.txs[0]!.result.error.code).toBe("TX_BAD_REPORT");
    const free = chain.applyBlock({
      txs: [
        signTx(
          alice,
          { nonce: chain.nonceOf(alice.publicKey), fee: 0n, call: { tag: "Report", value: { statements } } },
          chain.config,
        ),
      ],
      author: key(vals[3]!),
    });
    expect(free.txs[0]!.result.ok ? "" : free.txs[0]!.result.error.code).toBe("TX_FEE_TOO_LOW");
  });

  it("a valid and an invalid statement on one PoV record a dispute naming both sides", () => {
    const chain = chainWithCollators();
    const statements = [
      signStatement(stmt(validV()), vals[0]!),
      signStatement(stmt(validV()), vals[1]!),
      signStatement(stmt(invalidVerdict("POV_VERDICT_MISMATCH")), vals[2]!),
    ];
    const r = chain.applyBlock({
      txs: [
        signTx(
          vals[2]!,
          { nonce: 0n, fee: 0n, call: { tag: "Report", value: { statements } } },
          chain.config,
        ),
      ],
      author: key(vals[0]!),
    });
    expect(r.txs[0]!.result.ok).toBe(true);
    const [d] = chain.reports();
    expect(d!.kind.tag).toBe("Dispute");
    expect(d!.valid).toEqual([key(vals[0]!), key(vals[1]!)]);
    expect(d!.invalid).toEqual([key(vals[2]!)]);
    expect(d!.slashed).toBe(0n);
    expect(chain.collators()).toHaveLength(2);
  });
});
