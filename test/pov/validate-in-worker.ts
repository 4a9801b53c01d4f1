/** Worker entry for the determinism test: validates a PoV in a fresh thread with a fresh Wasm engine. */
import { parentPort, workerData } from "node:worker_threads";
import { decodeExact } from "../../src/codec/types.ts";
import { RelayView } from "../../src/pov/types.ts";
import { encodeVerdict, validatePov } from "../../src/pov/validate.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const { pov, view, blob } = workerData as { pov: Uint8Array; view: Uint8Array; blob: Uint8Array };
const verdict = validatePov(
  pov,
  decodeExact(RelayView, view, "relay view"),
  { code: () => blob },
  createWasmEngine(),
);
parentPort?.postMessage(encodeVerdict(verdict));
