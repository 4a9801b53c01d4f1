/** The `coreplay/client` package entry: the RPC client, its JSON shapes and actor bindings. */
export * from "./actor-binding.ts";
export * from "./client.ts";
export { RpcError } from "./errors.ts";
export type * from "./types.ts";
