/**
 * A collator process (issue 15 §1): it follows the chain like any node (import, sync, finality as an
 * observer) and, each time its head moves, builds the PoVs of the cores whose groups' first actor it
 * is the chain's canonical collator for (the same packing every collator computes, so cores never
 * collide), signs each as a collation and gossips it to the validators (`collations`). The test-only
 * `corrupt` flag makes it forge every PoV (a Call output or a post image changed after the play).
 */
import { bytesEqual } from "../../codec/bytes.ts";
import type { ActorId } from "../../codec/ids.ts";
import { decodeExact, encode, Pov } from "../../codec/types.ts";
import { createCollators } from "../../node/collator.ts";
import { RelayView } from "../../pov/types.ts";
import type { NetContext } from "../context.ts";
import { encodeCollation, MAX_COLLATION_BYTES, signCollation } from "./collation.ts";

export interface CollatorService {
  /** The head moved: build for it (once per head, after any build in progress). */
  headMoved(): void;
  counts(): Record<string, number>;
}

/** A forged PoV: the first Call's recorded output, or else the first slab's post, changed. */
export function corruptPov(bytes: Uint8Array): Uint8Array {
  const p = decodeExact(Pov, bytes, "PoV");
  const call = p.agenda.find((i) => i.entry.tag === "Call");
  if (call && call.entry.tag === "Call") {
    call.entry.value.output = new Uint8Array([...call.entry.value.output, 0xee]);
  } else if (p.slabs[0]) {
    const post = p.slabs[0].post.slice();
    post[post.length - 1] = (post[post.length - 1] ?? 0) ^ 0xff;
    p.slabs[0].post = post;
  }
  return encode(Pov, p);
}

export function createCollatorService(ctx: NetContext, opts: { corrupt?: boolean } = {}): CollatorService {
  const { chain, node } = ctx;
  const stats: Record<string, number> = { built: 0, sent: 0, skipped: 0 };
  const keys = () => chain.collators().map((c) => c.collator);
  const cols = createCollators({
    chain,
    engine: node.engine,
    collators: Math.max(1, ctx.spec.collators.length),
    cores: ctx.spec.cores,
    network: {
      of: (a: ActorId) => {
        const c = chain.canonicalCollator(a);
        return c ? keys().findIndex((k) => bytesEqual(k, c)) : undefined;
      },
      get self() {
        return keys().findIndex((k) => bytesEqual(k, ctx.keypair.publicKey));
      },
    },
  });
  let lastBuilt = "";
  let busy = false;

  function build(): void {
    if (ctx.stopped || busy || ctx.syncing) return;
    if (ctx.bestPeerHead() > ctx.head.number + 1) return; // behind: its PoVs would be stale
    const head = chain.head();
    const k = Buffer.from(head.hash).toString("hex");
    if (k === lastBuilt) return;
    lastBuilt = k;
    busy = true;
    // the chain must not change while the generator builds: run in the node's serial queue
    void ctx
      .serial("collation", async () => {
        if (!bytesEqual(chain.head().hash, head.hash)) return;
        for (const job of cols.buildEach()) {
          if ("reason" in job) {
            stats.skipped!++;
            continue;
          }
          stats.built!++;
          const pov = opts.corrupt ? corruptPov(job.built.pov) : job.built.pov;
          // the actors beside its own whose room the play's view showed: backers make the same view
          const mine = new Set<number>(job.actors);
          const recipients = decodeExact(RelayView, job.view, "relay view")
            .room.map((r) => r.actor as ActorId)
            .filter((a) => !mine.has(a));
          const bytes = encodeCollation(
            signCollation({ relayParent: head.hash, core: job.core, pov, recipients }, ctx.keypair),
          );
          if (bytes.length > MAX_COLLATION_BYTES) {
            stats.skipped!++;
            continue;
          }
          ctx.host.publish("collations", bytes);
          stats.sent!++;
        }
      })
      .catch(() => {
        stats.failed = (stats.failed ?? 0) + 1;
      })
      .finally(() => {
        busy = false;
      });
  }

  return {
    headMoved: () => queueMicrotask(build),
    counts: () => ({ ...stats }),
  };
}
