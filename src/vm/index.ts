/**
 * The `vm` layer's public surface (DESIGN §3): the engine contract, the Wasm and PVM engines, images and
 * errors.
 * Test helpers (`programFromWat`) live in `./testing.ts` so that production code does not pull them in.
 */
export * from "./abi.ts";
export type * from "./engine.ts";
export { createEngine, type Engines } from "./engines.ts";
export { ImageError, type ImageErrorCode, ProgramError, type ProgramErrorCode } from "./errors.ts";
export { HOST_GAS, hostCost, INIT_GAS, PAGE_DIRTY_GAS, UPGRADE_GAS } from "./gas.ts";
export { decodeImage, decodeImageAgainst, WasmImage } from "./image.ts";
export { WasmActorInstance } from "./instance.ts";
export { type InstrumentCache, setInstrumentCache } from "./instrument/cache.ts";
export { createPvmEngine, type PvmEngine, PvmProgram } from "./pvm/engine.ts";
export { PvmImage } from "./pvm/image.ts";
export {
  createWasmEngine,
  DEFAULT_ENGINE_OPTIONS,
  type WasmEngine,
  type WasmEngineOptions,
  WasmProgram,
} from "./wasm-engine.ts";
