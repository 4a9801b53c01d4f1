/**
 * An actor interface (what Candid is to dfx, the ABI to Ethereum): its methods by name with typed
 * arguments and result, and the structs and enums they use. Declared once in the actor's source
 * (`Methods.on(0x01, add, "add(n: u64) -> u64")`, sdk/README.md "Interfaces"), parsed by
 * `coreplay build` and carried as JSON in the program metadata (`ProgramMetadata.interface`).
 */

/** SCALE primitives. Integers are little-endian; `compact` is SCALE's compact integer (up to u128). */
export const PRIMITIVES = [
  "u8",
  "u16",
  "u32",
  "u64",
  "u128",
  "i8",
  "i16",
  "i32",
  "i64",
  "i128",
  "bool",
  "bytes",
  "string",
  "compact",
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

/** A type: a primitive or a declared struct/enum by name, a vector, an option, a tuple or `[T; n]`. */
export type TypeRef =
  | string
  | { vec: TypeRef }
  | { option: TypeRef }
  | { tuple: TypeRef[] }
  | { array: TypeRef; len: number };

export interface Field {
  name: string;
  type: TypeRef;
}

/** An enum variant: SCALE's one-byte index (its position) and an optional payload. */
export interface Variant {
  name: string;
  type?: TypeRef;
}

export type TypeDef = { struct: Field[] } | { enum: Variant[] };

export interface MethodDef {
  /** The method byte `Methods.on` dispatches on (the first byte of the call input). */
  id: number;
  name: string;
  args: Field[];
  /** The Ok reply; `null` for an empty reply. */
  returns: TypeRef | null;
}

export interface ActorInterface {
  version: 1;
  methods: MethodDef[];
  types: Record<string, TypeDef>;
}
