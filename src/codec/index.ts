/** The codecs as a package entry (`coreplay/codec`): SCALE protocol types, ids and byte helpers. */
export * from "./bytes.ts";
export * from "./ids.ts";
export * from "./types.ts";
