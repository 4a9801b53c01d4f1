/**
 * The PVM actor ABI (docs/abi.md §8): entry points are jump-table indices, host functions are `ecalli`
 * numbers in the order of {@link HOST_FUNCTIONS}. Pure data.
 */
import { HOST_FUNCTIONS } from "../abi.ts";

/** Host functions by `ecalli` number: their order in src/vm/abi.ts. */
export const HOST_CALLS = Object.keys(HOST_FUNCTIONS) as (keyof typeof HOST_FUNCTIONS)[];

/** Jump-table indices of the entry points (DESIGN §12). */
export const ENTRY = { main: 0, call: 1, payout: 2, dependencies: 3, upgrade: 4 } as const;
