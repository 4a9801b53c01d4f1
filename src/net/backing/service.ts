/**
 * Backing on a validator node (issue 15 §2–4, DESIGN §11): collations arrive on the `collations`
 * topic and are kept (availability.ts) and, by the members of their core's group, judged (judge.ts)
 * into statements gossiped on `statements`; the author includes the PoVs the statements back, without
 * executing them; a follower checks a block's statements instead of re-executing, and the approval
 * checker of each PoV (one non-backer) re-executes it after import and reports a dispute on a
 * mismatch. Invalid or disputed PoVs become `Report` transactions (chain/disputes.ts).
 */
import { signTx, type ValidatedPov } from "../../chain/index.ts";
import { effectsHash, invalidVerdict, type SignedStatement, signStatement } from "../../chain/statement.ts";
import { bytesEqual, toHex } from "../../codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../../codec/ids.ts";
import { decodeExact } from "../../codec/types.ts";
import { PovEffects } from "../../pov/types.ts";
import type { PovJson } from "../../rpc/types.ts";
import { decodeCollation, povId } from "../collator/collation.ts";
import type { NetContext } from "../context.ts";
import type { Verdict } from "../host.ts";
import { DEFAULT_ROTATION } from "../spec.ts";
import type { NetBlock } from "../wire.ts";
import {
  createAvailabilityStore,
  decodePovAnswer,
  encodePovAnswer,
  POV_REQUEST_BYTES,
} from "./availability.ts";
import { groupFor } from "./groups.ts";
import { judge, povActors, viewFor } from "./judge.ts";
import { approvalChecker, checkBacked, decodeStatementMessage, encodeStatementMessage } from "./messages.ts";
import { createBackingTable } from "./table.ts";

export const POV_PROTOCOL = "pov";

export interface BackedPov {
  pov: ValidatedPov;
  summary: PovJson;
  statements: SignedStatement[];
}

/** A PoV this node must approval-check once its block is imported (views taken at the parent). */
interface Approval {
  pov: Uint8Array;
  id: Hash;
  view: Uint8Array;
  codes: Array<[Uint8Array, Uint8Array]>;
  effects: Hash;
  statements: SignedStatement[];
}

export interface BackingService {
  onCollation(bytes: Uint8Array): Verdict;
  onStatement(bytes: Uint8Array): Verdict;
  /** The head moved: judge collations that were waiting for it. */
  headMoved(): void;
  finalized(number: number): void;
  /** What the author of the block on `parent` includes (one PoV per core, actors disjoint). */
  backedFor(parent: Hash): BackedPov[];
  /** A follower's check of a block's PoVs (at its parent's state); approvals to run after import. */
  checkBlock(b: NetBlock): { povs: ValidatedPov[]; approvals: Approval[] } | string;
  approve(approvals: Approval[]): void;
  /** The `pov` request–response protocol: a PoV id in, the collation bytes out (if kept). */
  serve(req: Uint8Array): Uint8Array;
  /** Fetches a collation from a peer by PoV id (a syncing node, an approval checker). */
  fetch(peer: string, pov: Hash): Promise<Uint8Array | undefined>;
  counts(): Record<string, number>;
}

export function createBackingService(ctx: NetContext): BackingService {
  const { chain, node } = ctx;
  const params = { cores: ctx.spec.cores, rotation: ctx.spec.rotation ?? DEFAULT_ROTATION };
  const store = createAvailabilityStore();
  const table = createBackingTable();
  const effectsOf = new Map<string, Uint8Array>();
  const judged = new Set<string>();
  const reported = new Set<string>();
  const waiting = new Map<string, Uint8Array>();
  const stats: Record<string, number> = {};
  const count = (k: string) => {
    stats[k] = (stats[k] ?? 0) + 1;
  };
  const isValidator = ctx.index >= 0;
  // backing latency (bench): from a collation's arrival to the statement that backs it, here
  const arrived = new Map<string, number>();
  const latencies: number[] = [];
  const noteBacked = (pov: Hash) => {
    const k = toHex(pov);
    const t = arrived.get(k);
    if (t === undefined || table.state(pov)?.state !== "backed") return;
    arrived.delete(k);
    latencies.push(Date.now() - t);
    if (latencies.length > 1024) latencies.shift();
  };
  const pct = (q: number) => {
    if (latencies.length === 0) return -1;
    const s = [...latencies].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  };
  const registered = () => chain.collators().map((c) => c.collator);
  const numberOf = (h: Uint8Array): number | undefined => ctx.headerOf(h)?.number;

  function remember(c: { relayParent: Hash; pov: Uint8Array }, bytes: Uint8Array) {
    const n = numberOf(c.relayParent);
    store.put(povId(c.pov), bytes, (n ?? ctx.head.number) + 1);
  }

  /** Judges a collation if this node backs its core in the block on its relay parent (the head). */
  function consider(bytes: Uint8Array): void {
    const d = decodeCollation(bytes, registered());
    if (!d.ok) return;
    const c = d.value;
    const id = toHex(povId(c.pov));
    if (judged.has(id)) return;
    if (!bytesEqual(c.relayParent, ctx.head.hash)) {
      // a collation for a head this node has not imported yet: judged when it has
      if (numberOf(c.relayParent) === undefined && waiting.size < 256) waiting.set(id, bytes);
      return;
    }
    const group = groupFor(ctx.validators, params, c.core, ctx.head.number + 1);
    if (!group.some((g) => bytesEqual(g, ctx.keypair.publicKey))) return;
    judged.add(id);
    if (judged.size > 8192) judged.clear();
    void judge({ chain, pool: node.pool, key: ctx.keypair, collation: c })
      .then((j) => {
        if (j.tag === "Refused") {
          count(`refused_${j.reason.toLowerCase()}`);
          ctx.refuse(`COLLATION_${j.reason}`);
          return;
        }
        count(j.statement.statement.verdict.tag === "Valid" ? "judged_valid" : "judged_invalid");
        if (j.effects) effectsOf.set(id, j.effects);
        table.add(j.statement, group);
        noteBacked(povId(c.pov));
        ctx.host.publish(
          "statements",
          encodeStatementMessage({ statement: j.statement, effects: j.effects }),
        );
        maybeReport(povId(c.pov));
      })
      .catch(() => count("judge_failed"));
  }

  /** An invalid or disputed PoV: its first invalid signer (if this node) reports it on chain. */
  function maybeReport(pov: Hash): void {
    const s = table.state(pov);
    if (!s || (s.state !== "invalid" && s.state !== "disputed")) return;
    const k = toHex(pov);
    if (reported.has(k)) return;
    const invalid = s.statements.filter((x) => x.statement.verdict.tag === "Invalid");
    if (!invalid[0] || !bytesEqual(invalid[0].validator, ctx.keypair.publicKey)) return;
    reported.add(k);
    report(s.statements);
  }

  function report(statements: SignedStatement[]): void {
    const me = ctx.keypair.publicKey as AccountId;
    const tx = signTx(
      ctx.keypair,
      {
        nonce: node.nextNonce(me),
        fee: 0n,
        call: { tag: "Report", value: { statements: statements.slice(0, 16) } },
      },
      chain.config,
    );
    count("reports");
    node.submitSigned(tx).catch(() => count("report_refused"));
  }

  function summaryOf(v: ValidatedPov, statements: SignedStatement[], relayParent: number): PovJson {
    const keys = registered();
    const actors = v.effects.transitions.map((t) => t.actor as number).sort((a, b) => a - b);
    return {
      hash: toHex(povId(v.pov)),
      core: v.core,
      collator: keys.findIndex((k) => bytesEqual(k, v.collator)),
      collatorKey: toHex(v.collator),
      actors,
      calls: v.effects.calls.length,
      gasUsed: v.effects.gasUsed.toString(),
      size: v.pov.byteLength,
      relayParent,
      status: "pending",
      backers: statements.map((s) => ctx.validators.findIndex((x) => bytesEqual(x, s.validator))),
      backerKeys: statements.map((s) => toHex(s.validator)),
      payout: v.effects.payouts.reduce((n, p) => n + p.amount, 0n).toString(),
    };
  }

  return {
    onCollation(bytes) {
      const d = decodeCollation(bytes, registered());
      if (!d.ok) {
        ctx.refuse(`COLLATION_${d.error.toUpperCase()}`);
        // a collator not registered (yet, or slashed) is not a forger's proof: only bad bytes score
        return d.error === "UnknownCollator" ? "ignore" : "reject";
      }
      count("collations");
      const k = toHex(povId(d.value.pov));
      if (!arrived.has(k)) arrived.set(k, Date.now());
      if (arrived.size > 4096) arrived.delete(arrived.keys().next().value as string);
      remember(d.value, bytes);
      if (isValidator) consider(bytes);
      return "accept";
    },
    onStatement(bytes) {
      const d = decodeStatementMessage(bytes, ctx.validators);
      if (!d.ok) {
        ctx.refuse(`STATEMENT_${d.error.toUpperCase()}`);
        return "reject";
      }
      const s = d.value.statement;
      const n = numberOf(s.statement.relayParent);
      if (n === undefined) return "ignore";
      const group = groupFor(ctx.validators, params, s.statement.core, n + 1);
      const added = table.add(s, group);
      if (added !== "added") return added === "duplicate" ? "ignore" : "reject";
      count("statements");
      if (d.value.effects) effectsOf.set(toHex(s.statement.pov), d.value.effects);
      noteBacked(s.statement.pov);
      if (isValidator) maybeReport(s.statement.pov);
      return "accept";
    },
    headMoved() {
      const again = [...waiting.values()];
      waiting.clear();
      if (isValidator) for (const b of again) consider(b);
      const head = ctx.head.number;
      table.prune((p) => (numberOf(p) ?? head) >= head - 4);
      if (effectsOf.size > 4096) effectsOf.clear();
    },
    finalized(number) {
      store.finalized(number);
    },
    backedFor(parent) {
      const out: BackedPov[] = [];
      const cores = new Set<number>();
      const actors = new Set<number>();
      const n = numberOf(parent) ?? ctx.head.number;
      for (const b of table.backedOn(parent).sort((x, y) => x.core - y.core)) {
        const bytes = store.get(b.pov);
        const fx = effectsOf.get(toHex(b.pov));
        if (!bytes || !fx || !bytesEqual(effectsHash(fx), b.effects) || cores.has(b.core)) continue;
        const c = decodeCollation(bytes, registered());
        if (!c.ok) continue;
        let effects: PovEffects;
        try {
          effects = decodeExact(PovEffects, fx, "PoV effects");
        } catch {
          continue;
        }
        const mine = effects.transitions.map((t) => t.actor as number);
        if (mine.some((a) => actors.has(a))) continue;
        for (const a of mine) actors.add(a);
        cores.add(b.core);
        const pov: ValidatedPov = { core: b.core, pov: c.value.pov, effects, collator: b.collator };
        out.push({ pov, summary: summaryOf(pov, b.statements, n), statements: b.statements });
      }
      count("included");
      return out;
    },
    checkBlock(b) {
      const povs: ValidatedPov[] = [];
      const approvals: Approval[] = [];
      try {
        for (const p of b.body.povs) {
          const id = povId(p.pov);
          const r = checkBacked(
            {
              block: b.header.number,
              relayParent: b.header.parent,
              core: p.core,
              pov: id,
              collator: p.collator,
              effects: p.effects,
              statements: p.statements,
            },
            { validators: ctx.validators, ...params },
          );
          if (!r.ok) return `POV_BACKING_${r.error.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`;
          const effects = decodeExact(PovEffects, p.effects, "PoV effects");
          povs.push({ core: p.core, pov: p.pov, effects, collator: p.collator });
          const group = groupFor(ctx.validators, params, p.core, b.header.number);
          const checker = approvalChecker(ctx.validators, group, id);
          const kept = store.get(id);
          const collation = kept && decodeCollation(kept, registered());
          if (isValidator && checker && bytesEqual(checker, ctx.keypair.publicKey) && collation?.ok) {
            const actors = povActors(p.pov) ?? [];
            const recipients = collation.value.recipients;
            // the view at the parent: this node's chain is there until the block applies
            approvals.push({
              pov: p.pov,
              id,
              ...viewFor(chain, actors as ActorId[], recipients),
              effects: effectsHash(p.effects),
              statements: p.statements,
            });
          }
        }
      } catch {
        return "MALFORMED_BODY";
      }
      return { povs, approvals };
    },
    approve(approvals) {
      for (const a of approvals) {
        void node.pool
          .validate({ pov: a.pov, view: a.view, codes: a.codes })
          .then((r) => {
            if (!r.backed || !r.verdict) return;
            const ok = r.verdict[0] === 0 && bytesEqual(effectsHash(r.verdict.subarray(1)), a.effects);
            if (ok) return count("approved");
            // a backed PoV this checker finds otherwise: a dispute, on chain with both sides
            count("disputes_raised");
            const st = a.statements[0]!.statement;
            const mine = signStatement({ ...st, verdict: invalidVerdict("APPROVAL_MISMATCH") }, ctx.keypair);
            report([...a.statements, mine]);
          })
          .catch(() => count("approval_failed"));
      }
    },
    serve(req) {
      if (req.length !== POV_REQUEST_BYTES) return encodePovAnswer(undefined);
      return encodePovAnswer(store.get(req as Hash));
    },
    async fetch(peer, pov) {
      const res = await ctx.host.request(peer, POV_PROTOCOL, pov, 16 * 1024 * 1024, 5000);
      const bytes = decodePovAnswer(res);
      if (!bytes) return undefined;
      const d = decodeCollation(bytes, registered());
      return d.ok && bytesEqual(povId(d.value.pov), pov) ? bytes : undefined;
    },
    counts: () => ({
      ...stats,
      available: store.size,
      backing_latency_ms_p50: pct(0.5),
      backing_latency_ms_p99: pct(0.99),
      backing_latency_samples: latencies.length,
    }),
  };
}
