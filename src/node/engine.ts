/**
 * The engine the node runs (DESIGN §6). Loaded lazily by path so the node layer does not fail to load
 * while the runtime is being written; `createWasmEngine()` from src/vm/wasm-engine.ts is the contract.
 */
import type { Engine } from "../vm/engine.ts";
import { NodeError } from "./errors.ts";

export async function loadEngine(): Promise<Engine> {
  const path = new URL("../vm/wasm-engine.ts", import.meta.url).href;
  let mod: { createWasmEngine?: () => Engine };
  try {
    mod = (await import(path)) as typeof mod;
  } catch (cause) {
    throw new NodeError("No execution engine", {
      code: "NODE_NO_ENGINE",
      details: `cannot load ${path}: ${(cause as Error).message}`,
      hint: "the Wasm engine (src/vm/wasm-engine.ts) must export createWasmEngine()",
      cause,
    });
  }
  if (typeof mod.createWasmEngine !== "function") {
    throw new NodeError("No execution engine", {
      code: "NODE_NO_ENGINE",
      details: "src/vm/wasm-engine.ts does not export createWasmEngine()",
    });
  }
  return mod.createWasmEngine();
}
