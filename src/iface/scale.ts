/**
 * SCALE encoding and decoding of values by an interface's types (the same bytes sdk/assembly/codec.ts
 * writes and reads). Pure. Values: u8…u32/i8…i32 are numbers, wider integers and compact are bigints,
 * bytes and [u8; n] are Uint8Array, Vec/tuple/[T; n] are arrays, Option is the value or null, a struct is an object and an
 * enum is `{ tag, value? }` (as scale-ts).
 */
import { fromHex, toHex } from "../codec/bytes.ts";
import { InterfaceError } from "./errors.ts";
import type { ActorInterface, TypeRef } from "./types.ts";

export type Value =
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | null
  | Value[]
  | { [field: string]: Value }
  | { tag: string; value?: Value };

const INTS: Record<string, { bytes: number; signed: boolean }> = {
  u8: { bytes: 1, signed: false },
  u16: { bytes: 2, signed: false },
  u32: { bytes: 4, signed: false },
  u64: { bytes: 8, signed: false },
  u128: { bytes: 16, signed: false },
  i8: { bytes: 1, signed: true },
  i16: { bytes: 2, signed: true },
  i32: { bytes: 4, signed: true },
  i64: { bytes: 8, signed: true },
  i128: { bytes: 16, signed: true },
};

function bad(what: string, got: unknown): never {
  throw new InterfaceError(`Expected ${what}`, "IFACE_BAD_VALUE", `got ${describe(got)}`);
}
const describe = (v: unknown) =>
  typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? toHex(v) : (JSON.stringify(v) ?? String(v));

/** The type's display text (`Vec<u8>`, `(u64, u32)`). */
export function typeText(t: TypeRef): string {
  if (typeof t === "string") return t;
  if ("vec" in t) return `Vec<${typeText(t.vec)}>`;
  if ("option" in t) return `Option<${typeText(t.option)}>`;
  if ("array" in t) return `[${typeText(t.array)}; ${t.len}]`;
  return `(${t.tuple.map(typeText).join(", ")})`;
}

function integer(name: string, v: unknown): bigint {
  let n: bigint | undefined;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^-?(\d+|0x[0-9a-fA-F]+)$/.test(v.trim())) {
    const s = v.trim();
    n = s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
  }
  if (n === undefined) return bad(`an integer (${name})`, v);
  const spec = INTS[name] ?? { bytes: 16, signed: false };
  const bits = BigInt(spec.bytes * 8);
  const [lo, hi] = spec.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < lo || n > hi) bad(`${name} in ${lo}..=${hi}`, v);
  return n;
}

/** Encodes `value` as `type`. Throws {@link InterfaceError} (`IFACE_BAD_VALUE`) when it does not fit. */
export function encodeValue(iface: ActorInterface, type: TypeRef, value: unknown): Uint8Array {
  const out: number[] = [];
  const le = (n: bigint, bytes: number) => {
    let x = n < 0n ? (1n << BigInt(bytes * 8)) + n : n;
    for (let i = 0; i < bytes; i++, x >>= 8n) out.push(Number(x & 0xffn));
  };
  const compact = (n: bigint) => {
    if (n < 1n << 6n) le(n << 2n, 1);
    else if (n < 1n << 14n) le((n << 2n) | 1n, 2);
    else if (n < 1n << 30n) le((n << 2n) | 2n, 4);
    else {
      let bytes = 0;
      for (let x = n; x > 0n; x >>= 8n) bytes++;
      out.push(((bytes - 4) << 2) | 3);
      le(n, bytes);
    }
  };
  const raw = (b: Uint8Array) => {
    compact(BigInt(b.length));
    for (const x of b) out.push(x);
  };
  const enc = (t: TypeRef, v: unknown): void => {
    if (typeof t !== "string") {
      if ("vec" in t) {
        if (!Array.isArray(v)) bad(`an array (${typeText(t)})`, v);
        compact(BigInt(v.length));
        for (const x of v) enc(t.vec, x);
      } else if ("array" in t) {
        if (t.array === "u8" && (v instanceof Uint8Array || typeof v === "string")) {
          const b =
            v instanceof Uint8Array
              ? v
              : /^0x([0-9a-fA-F]{2})*$/.test(v)
                ? fromHex(v)
                : bad(`${t.len} bytes as 0x hex`, v);
          if (b.length !== t.len) bad(`${t.len} bytes`, v);
          for (const x of b) out.push(x);
          return;
        }
        if (!Array.isArray(v) || v.length !== t.len) bad(`an array of ${t.len} (${typeText(t)})`, v);
        for (const x of v) enc(t.array, x);
      } else if ("option" in t) {
        if (v === null || v === undefined) out.push(0);
        else {
          out.push(1);
          enc(t.option, v);
        }
      } else {
        if (!Array.isArray(v) || v.length !== t.tuple.length)
          bad(`a ${t.tuple.length}-tuple ${typeText(t)}`, v);
        for (let i = 0; i < t.tuple.length; i++) enc(t.tuple[i]!, v[i]);
      }
      return;
    }
    const int = INTS[t];
    if (int) {
      le(integer(t, v), int.bytes);
      return;
    }
    if (t === "compact") {
      compact(integer("u128", v));
      return;
    }
    if (t === "bool") {
      if (v !== true && v !== "true" && v !== false && v !== "false") bad("true or false", v);
      out.push(v === true || v === "true" ? 1 : 0);
      return;
    }
    if (t === "string") {
      if (typeof v !== "string") bad("a string", v);
      raw(new TextEncoder().encode(v));
      return;
    }
    if (t === "bytes") {
      if (v instanceof Uint8Array) raw(v);
      else if (typeof v === "string" && /^0x([0-9a-fA-F]{2})*$/.test(v)) raw(fromHex(v));
      else bad("bytes as 0x hex", v);
      return;
    }
    const def = iface.types[t];
    if (!def) throw new InterfaceError(`Unknown type ${t}`, "IFACE_UNKNOWN_TYPE");
    if ("struct" in def) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(`a ${t} object`, v);
      for (const f of def.struct) enc(f.type, (v as Record<string, unknown>)[f.name]);
      return;
    }
    const tag = typeof v === "string" ? v : (v as { tag?: unknown } | null)?.tag;
    const i = def.enum.findIndex((x) => x.name === tag);
    if (i < 0) bad(`a ${t} variant (${def.enum.map((x) => x.name).join(", ")})`, v);
    out.push(i);
    const variant = def.enum[i]!;
    if (variant.type !== undefined) enc(variant.type, (v as { value?: unknown }).value);
  };
  enc(type, value);
  return Uint8Array.from(out);
}

/** Decodes exactly `bytes` as `type`. Throws {@link InterfaceError} (`IFACE_BAD_OUTPUT`). */
export function decodeValue(iface: ActorInterface, type: TypeRef, bytes: Uint8Array): Value {
  let at = 0;
  const fail = (why: string): never => {
    throw new InterfaceError(
      `Reply does not decode as ${typeText(type)}`,
      "IFACE_BAD_OUTPUT",
      `${why} at byte ${at} of ${toHex(bytes)}`,
    );
  };
  const take = (n: number) => {
    if (at + n > bytes.length) fail("too short");
    const b = bytes.subarray(at, at + n);
    at += n;
    return b;
  };
  const le = (n: number, signed: boolean) => {
    const b = take(n);
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
    if (signed && x >> BigInt(n * 8 - 1) === 1n) x -= 1n << BigInt(n * 8);
    return x;
  };
  const compact = (): bigint => {
    if (at >= bytes.length) fail("too short");
    const mode = bytes[at]! & 3;
    if (mode === 0) return le(1, false) >> 2n;
    if (mode === 1) return le(2, false) >> 2n;
    if (mode === 2) return le(4, false) >> 2n;
    const n = (take(1)[0]! >> 2) + 4;
    return le(n, false);
  };
  const dec = (t: TypeRef): Value => {
    if (typeof t !== "string") {
      if ("vec" in t) {
        const n = Number(compact());
        if (n > bytes.length - at && typeof t.vec === "string" && INTS[t.vec])
          fail("vector longer than the reply");
        return Array.from({ length: n }, () => dec(t.vec));
      }
      if ("array" in t) {
        if (t.array === "u8") return take(t.len).slice();
        return Array.from({ length: t.len }, () => dec(t.array));
      }
      if ("option" in t) {
        const tag = take(1)[0];
        if (tag === 0) return null;
        if (tag !== 1) fail("Option tag is not 0 or 1");
        return dec(t.option);
      }
      return t.tuple.map(dec);
    }
    const int = INTS[t];
    if (int) {
      const x = le(int.bytes, int.signed);
      return int.bytes <= 4 ? Number(x) : x;
    }
    if (t === "compact") return compact();
    if (t === "bool") {
      const b = take(1)[0];
      if (b !== 0 && b !== 1) fail("bool is not 0 or 1");
      return b === 1;
    }
    if (t === "bytes" || t === "string") {
      const n = Number(compact());
      const b = take(n).slice();
      return t === "bytes" ? b : new TextDecoder().decode(b);
    }
    const def = iface.types[t];
    if (!def) throw new InterfaceError(`Unknown type ${t}`, "IFACE_UNKNOWN_TYPE");
    if ("struct" in def) return Object.fromEntries(def.struct.map((f) => [f.name, dec(f.type)]));
    const i = take(1)[0]!;
    const v = def.enum[i];
    if (!v) return fail(`${t} has no variant ${i}`);
    return v.type === undefined ? { tag: v.name } : { tag: v.name, value: dec(v.type) };
  };
  const v = dec(type);
  if (at !== bytes.length) fail("trailing bytes");
  return v;
}

/** A value as JSON: bigints become decimal strings, bytes 0x hex. */
export function toJsonValue(v: Value): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x as Value)]));
  return v;
}

/**
 * Parses a command-line argument as `type`: integers in decimal or 0x hex, `true`/`false`, bytes as
 * 0x hex, a string as it is, anything else (vectors, tuples, structs, enums, options) as JSON; an enum
 * without payload may be given by its variant name, an option as `null` or its value.
 */
export function parseArg(type: TypeRef, text: string): unknown {
  if (
    typeof type === "string" &&
    (INTS[type] || type === "compact" || type === "bool" || type === "bytes" || type === "string")
  )
    return text;
  if (typeof type === "object" && "option" in type)
    return text === "null" ? null : parseArg(type.option, text);
  try {
    return JSON.parse(text);
  } catch {
    return text; // an enum variant's bare name
  }
}
