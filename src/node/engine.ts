/**
 * The engine the node runs (DESIGN §6). Loaded lazily by path so the node layer does not fail to load
 * while the runtime is being written; `createEngine()` from src/vm/engines.ts (Wasm and PVM) is the contract.
 */
import type { Engine } from "../vm/engine.ts";
import { NodeError } from "./errors.ts";

export async function loadEngine(): Promise<Engine> {
  const path = new URL("../vm/engines.ts", import.meta.url).href;
  let mod: { createEngine?: () => Engine };
  try {
    mod = (await import(path)) as typeof mod;
  } catch (cause) {
    throw new NodeError("No execution engine", {
      code: "NODE_NO_ENGINE",
      details: `cannot load ${path}: ${(cause as Error).message}`,
      hint: "src/vm/engines.ts must export createEngine()",
      cause,
    });
  }
  if (typeof mod.createEngine !== "function") {
    throw new NodeError("No execution engine", {
      code: "NODE_NO_ENGINE",
      details: "src/vm/engines.ts does not export createEngine()",
    });
  }
  return mod.createEngine();
}
