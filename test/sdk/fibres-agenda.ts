/**
 * One agenda for the fibres fixture (fixtures/assembly/fibres.as.ts), shared by the test and its worker:
 * plays of one Service each, postcards and a `call` that spawns in between, the block number moving on.
 * With `restore`, the image is encoded and decoded after every play (a fresh instance each time).
 */
import { type ActorId, hashHex } from "../../src/codec/ids.ts";
import { u32 } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";

export interface AgendaResult {
  hash: string;
  steps: string[];
  state: string;
  gas: string;
}

export function runFibreAgenda(
  blob: Uint8Array,
  opts: { restore: boolean; gas: bigint; plays: number },
): AgendaResult {
  const h = createHarness();
  const a: ActorId = h.deploy(blob);
  const steps: string[] = [];
  for (let i = 0; i < opts.plays; i++) {
    if (i === 2) h.call(a, Uint8Array.of(1, ...u32.enc(3)));
    if (i === 3) h.post(a, a, Uint8Array.of(5));
    if (i === 6) {
      h.post(a, a, Uint8Array.of(7));
      h.post(a, a, Uint8Array.of(9));
    }
    for (const o of h.service(a, 1, opts.gas)) {
      const fibres = (o.fibres ?? []).map((f) => `${f.fibre}:${f.status}:${f.gasUsed}`).join(",");
      steps.push(`${o.status}/${o.gasUsed}/${fibres}`);
    }
    h.advance(1);
    if (opts.restore) h.snapshotRestore(a);
  }
  const out = h.call(a, Uint8Array.of(0));
  const state = out.success ? Buffer.from(out.value).toString("hex") : `failed ${out.value.tag}`;
  return { hash: hashHex(h.imageHash(a)), steps, state, gas: h.gasUsed.toString() };
}
