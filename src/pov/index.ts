/** The `pov` layer: build and validate Actor PoVs, statelessly and deterministically (DESIGN §3, §4). */
export { type BuiltPov, buildPov, type DraftItem, type PovDraft } from "./build.ts";
export { describeReason, PovBuildError } from "./errors.ts";
export { executePlay, type PlayActor, type PlayInput, type PlayItem, type PlayOutcome } from "./executor.ts";
export * from "./limits.ts";
export { EMPTY_HEAD, headAfter, nextHead } from "./pigeonhole.ts";
export { type PrepareInput, preparePlay, type SlabInput } from "./prepare.ts";
export * from "./types.ts";
export { effectsHash, encodeVerdict, validatePov } from "./validate.ts";
