import { CoreplayError } from "../errors.ts";

export type InterfaceErrorCode =
  | "IFACE_SYNTAX"
  | "IFACE_UNKNOWN_TYPE"
  | "IFACE_DUPLICATE"
  | "IFACE_UNKNOWN_METHOD"
  | "IFACE_BAD_VALUE"
  | "IFACE_BAD_OUTPUT"
  | "IFACE_MALFORMED";

const HINTS: Record<InterfaceErrorCode, string> = {
  IFACE_SYNTAX: 'declare a method as "name(arg: type, …) -> type" and a type as "struct P { x: u32 }"',
  IFACE_UNKNOWN_TYPE:
    "use u8…u128, i8…i128, bool, bytes, string, compact, Vec<T>, Option<T>, (A, B) or a declared type",
  IFACE_DUPLICATE: "each method byte, method name and type name may be declared once",
  IFACE_UNKNOWN_METHOD: "see the actor's methods with `coreplay interface <actor>`",
  IFACE_BAD_VALUE: "integers as decimal or 0x hex, bytes as 0x hex, vectors/structs/enums as JSON",
  IFACE_BAD_OUTPUT:
    "the actor replied bytes that do not match its declared result: is the interface up to date?",
  IFACE_MALFORMED: "rebuild the program with `coreplay build`",
};

/** An interface declaration, a value or a reply does not fit. */
export class InterfaceError extends CoreplayError {
  override name = "InterfaceError";
  declare readonly code: InterfaceErrorCode;
  constructor(shortMessage: string, code: InterfaceErrorCode, details?: string) {
    super(shortMessage, { code, details, hint: HINTS[code] });
  }
}
