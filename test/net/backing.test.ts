/**
 * Issue 15 §2–4, the pure network pieces: backing groups per core rotated every `rotation` blocks,
 * the backed rule (min(2, group size) matching valid statements, none invalid), disputes and invalid
 * PoVs, signed collations on the wire with their bound, and the availability store.
 */
import { describe, expect, it } from "vitest";
import { effectsHash, invalidVerdict, type Statement, signStatement } from "../../src/chain/statement.ts";
import type { AccountId, Hash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import {
  createAvailabilityStore,
  decodePovAnswer,
  encodePovAnswer,
} from "../../src/net/backing/availability.ts";
import { backingThreshold, coreOf, groupFor, splitGroups } from "../../src/net/backing/groups.ts";
import {
  approvalChecker,
  checkBacked,
  decodeStatementMessage,
  encodeStatementMessage,
} from "../../src/net/backing/messages.ts";
import { createBackingTable } from "../../src/net/backing/table.ts";
import {
  decodeCollation,
  encodeCollation,
  MAX_COLLATION_BYTES,
  povId,
  signCollation,
} from "../../src/net/collator/collation.ts";

const vals = [0, 1, 2, 3, 4].map((i) => devKeypair(3000 + i));
const keys = vals.map((k) => k.publicKey as AccountId);
const h = (s: string) => blake2b256(new TextEncoder().encode(s)) as Hash;

describe("backing groups", () => {
  it("splits validators into one group per core, sizes within one, every validator once", () => {
    const g = splitGroups(keys, 2);
    expect(g.map((x) => x.length)).toEqual([3, 2]);
    expect(g.flat()).toEqual(keys);
    expect(splitGroups(keys.slice(0, 4), 2).map((x) => x.length)).toEqual([2, 2]);
    // fewer validators than cores: one validator per core, reused
    expect(splitGroups(keys.slice(0, 2), 3)).toEqual([[keys[0]], [keys[1]], [keys[0]]]);
  });

  it("rotates groups over cores every `rotation` blocks", () => {
    const p = { cores: 2, rotation: 5 };
    const four = keys.slice(0, 4);
    expect(groupFor(four, p, 0, 0)).toEqual(four.slice(0, 2));
    expect(groupFor(four, p, 0, 4)).toEqual(four.slice(0, 2));
    expect(groupFor(four, p, 0, 5)).toEqual(four.slice(2, 4));
    expect(groupFor(four, p, 1, 5)).toEqual(four.slice(0, 2));
    expect(coreOf(four, p, four[0]!, 5)).toEqual([1]);
    expect(backingThreshold(1)).toBe(1);
    expect(backingThreshold(3)).toBe(2);
  });
});

describe("the backed rule", () => {
  const base = (verdict: Statement["verdict"], pov = h("pov")): Statement => ({
    pov,
    relayParent: h("parent"),
    core: 0,
    collator: keys[4]!,
    verdict,
  });
  const valid = (fx = "fx") => ({ tag: "Valid" as const, value: { effects: h(fx) } });
  const group = keys.slice(0, 3);

  it("needs min(2, group) valid statements with one effects hash, from members only", () => {
    const t = createBackingTable();
    expect(t.add(signStatement(base(valid()), vals[0]!), group)).toBe("added");
    expect(t.add(signStatement(base(valid()), vals[0]!), group)).toBe("duplicate");
    expect(t.add(signStatement(base(valid()), vals[3]!), group)).toBe("not-in-group");
    expect(t.state(h("pov"))!.state).toBe("pending");
    // a second member with other effects does not back it
    expect(t.add(signStatement(base(valid("other")), vals[1]!), group)).toBe("added");
    expect(t.state(h("pov"))!.state).toBe("pending");
    expect(t.add(signStatement(base(valid()), vals[2]!), group)).toBe("added");
    const s = t.state(h("pov"))!;
    expect(s.state).toBe("backed");
    if (s.state === "backed") {
      expect(s.effects).toEqual(h("fx"));
      expect(s.statements.map((x) => x.validator)).toEqual([keys[0], keys[2]]);
    }
    expect(t.backedOn(h("parent"))).toHaveLength(1);
    expect(t.backedOn(h("other parent"))).toHaveLength(0);
    // a statement on the same PoV naming another core is refused
    expect(t.add(signStatement({ ...base(valid()), core: 1 }, vals[1]!), group)).toBe("mismatch");
    t.prune(() => false);
    expect(t.size()).toBe(0);
  });

  it("a group of one backs with one statement", () => {
    const t = createBackingTable();
    t.add(signStatement(base(valid()), vals[0]!), [keys[0]!]);
    expect(t.state(h("pov"))!.state).toBe("backed");
  });

  it("invalid statements: two make it invalid, against a valid one a dispute; never backed", () => {
    const t = createBackingTable();
    const bad = invalidVerdict("POV_VERDICT wrong post");
    t.add(signStatement(base(bad, h("forged")), vals[0]!), group);
    t.add(signStatement(base(bad, h("forged")), vals[1]!), group);
    expect(t.state(h("forged"))!.state).toBe("invalid");
    t.add(signStatement(base(valid(), h("d")), vals[0]!), group);
    t.add(signStatement(base(valid(), h("d")), vals[1]!), group);
    t.add(signStatement(base(bad, h("d")), vals[2]!), group);
    expect(t.state(h("d"))!.state).toBe("disputed");
    expect(t.backedOn(h("parent"))).toHaveLength(0);
  });
});

describe("collations", () => {
  const col = devKeypair(1000);
  it("round-trip signed; a forged PoV, an unknown collator, garbage and oversize are refused", () => {
    const c = signCollation({ relayParent: h("p"), core: 1, pov: new Uint8Array([1, 2, 3]) }, col);
    const b = encodeCollation(c);
    const d = decodeCollation(b, [col.publicKey]);
    expect(d.ok && povId(d.value.pov)).toEqual(povId(new Uint8Array([1, 2, 3])));
    expect(decodeCollation(b, [keys[0]!])).toEqual({ ok: false, error: "UnknownCollator" });
    const forged = encodeCollation({ ...c, pov: new Uint8Array([1, 2, 4]) });
    expect(decodeCollation(forged, [col.publicKey])).toEqual({ ok: false, error: "BadSignature" });
    expect(decodeCollation(new Uint8Array([9, 9]), [col.publicKey])).toEqual({
      ok: false,
      error: "Malformed",
    });
    expect(decodeCollation(new Uint8Array(MAX_COLLATION_BYTES + 1), [col.publicKey])).toEqual({
      ok: false,
      error: "Oversized",
    });
  });
});

describe("availability store", () => {
  it("keeps PoV bytes until their block is final, bounded; answers on the wire", () => {
    const s = createAvailabilityStore({ entries: 2, bytes: 100 });
    s.put(h("a"), new Uint8Array(10), 5);
    s.put(h("b"), new Uint8Array(10), 6);
    expect(s.get(h("a"))).toHaveLength(10);
    s.finalized(5);
    expect(s.get(h("a"))).toBeUndefined();
    expect(s.get(h("b"))).toBeDefined();
    s.put(h("c"), new Uint8Array(10), 7);
    s.put(h("d"), new Uint8Array(10), 7);
    expect(s.size).toBe(2);
    expect(s.get(h("b"))).toBeUndefined();
    s.put(h("e"), new Uint8Array(200), 8);
    expect(s.bytes).toBeLessThanOrEqual(100);
    expect(decodePovAnswer(encodePovAnswer(new Uint8Array([7])))).toEqual(new Uint8Array([7]));
    expect(decodePovAnswer(encodePovAnswer(undefined))).toBeUndefined();
  });
});

describe("statement messages and a follower's backing check", () => {
  const fx = new Uint8Array([1, 2, 3]);
  const st = (core = 0): Statement => ({
    pov: h("pov"),
    relayParent: h("parent"),
    core,
    collator: keys[4]!,
    verdict: { tag: "Valid", value: { effects: effectsHash(fx) } },
  });
  const params = { validators: keys.slice(0, 4), cores: 2, rotation: 10 };
  const p = (statements: ReturnType<typeof signStatement>[], effects = fx) => ({
    block: 3,
    relayParent: h("parent"),
    core: 0,
    pov: h("pov"),
    collator: keys[4]!,
    effects,
    statements,
  });

  it("carries the effects a valid statement hashes; a mismatch or a forgery is refused", () => {
    const s = signStatement(st(), vals[0]!);
    const m = encodeStatementMessage({ statement: s, effects: fx });
    expect(decodeStatementMessage(m, keys).ok).toBe(true);
    const wrong = encodeStatementMessage({ statement: s, effects: new Uint8Array([9]) });
    expect(decodeStatementMessage(wrong, keys)).toEqual({ ok: false, error: "EffectsMismatch" });
    expect(decodeStatementMessage(m, keys.slice(1))).toEqual({ ok: false, error: "UnknownValidator" });
    expect(decodeStatementMessage(new Uint8Array(3), keys)).toEqual({ ok: false, error: "Malformed" });
  });

  it("accepts min(2, group) valid statements of the core's group over the block's effects, nothing less", () => {
    const two = [signStatement(st(), vals[0]!), signStatement(st(), vals[1]!)];
    const r = checkBacked(p(two), params);
    expect(r.ok && r.value).toEqual(keys.slice(0, 2));
    expect(checkBacked(p(two.slice(0, 1)), params)).toEqual({ ok: false, error: "NotEnoughBackers" });
    expect(checkBacked(p([two[0]!, two[0]!]), params)).toEqual({ ok: false, error: "Duplicate" });
    expect(checkBacked(p(two, new Uint8Array([7])), params)).toEqual({ ok: false, error: "EffectsMismatch" });
    // validators 2 and 3 back core 1 in this block, not core 0
    const outsiders = [signStatement(st(), vals[2]!), signStatement(st(), vals[3]!)];
    expect(checkBacked(p(outsiders), params)).toEqual({ ok: false, error: "NotInGroup" });
    expect(checkBacked(p([two[0]!, signStatement(st(1), vals[1]!)]), params)).toEqual({
      ok: false,
      error: "WrongPov",
    });
  });

  it("picks an approval checker outside the group, deterministically", () => {
    const group = keys.slice(0, 2);
    const c = approvalChecker(keys.slice(0, 4), group, h("pov"));
    expect(group.some((g) => g === c)).toBe(false);
    expect(approvalChecker(keys.slice(0, 4), group, h("pov"))).toEqual(c);
    expect(approvalChecker(group, group, h("pov"))).toBeUndefined();
  });
});

describe("collation recipients", () => {
  it("are signed: a relayer cannot change the view a validator makes", () => {
    const col = devKeypair(1001);
    const c = signCollation(
      { relayParent: h("p"), core: 0, pov: new Uint8Array([5]), recipients: [3 as never] },
      col,
    );
    expect(decodeCollation(encodeCollation(c), [col.publicKey]).ok).toBe(true);
    const changed = encodeCollation({ ...c, recipients: [4 as never] });
    expect(decodeCollation(changed, [col.publicKey])).toEqual({ ok: false, error: "BadSignature" });
  });
});
