/**
 * Runs an agenda (`Call`s and `Service`s, in order) against one program in a fresh harness: what
 * `coreplay play` prints. Kept apart from the CLI so tests can drive it directly.
 */
import { toHex } from "../codec/bytes.ts";
import { CallOutput } from "../codec/types.ts";
import { createHarness, type HarnessOptions } from "./index.ts";

export type AgendaStep = { call: Uint8Array } | { service: number };

export interface PlayReport {
  /** Each Call's SCALE `Result<Vec<u8>, CallError>`, as 0x-hex. */
  outputs: string[];
  logs: string[];
  gasUsed: number;
  imageHash: string;
}

export interface PlayOptions extends HarnessOptions {
  /** `main`'s args. */
  args?: Uint8Array;
  /** Gas for each agenda item (Call or Service step). */
  gas?: bigint;
}

/**
 * Deploys `blob`, runs `agenda` in order, and reports outputs, logs, gas and the final image hash.
 *
 * @example
 * runAgenda(blob, [{ service: 1 }, { call: Uint8Array.of(1) }]).outputs // ["0x00200100000000000000"]
 */
export function runAgenda(blob: Uint8Array, agenda: AgendaStep[], options: PlayOptions = {}): PlayReport {
  const h = createHarness(options);
  const id = h.deploy(blob, options.args ?? new Uint8Array());
  const outputs: string[] = [];
  for (const step of agenda) {
    if ("call" in step) outputs.push(toHex(CallOutput.enc(h.call(id, step.call, options.gas))));
    else h.service(id, step.service, options.gas);
  }
  return { outputs, logs: h.logs, gasUsed: Number(h.gasUsed), imageHash: toHex(h.imageHash(id)) };
}
