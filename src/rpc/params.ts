/** Positional-parameter readers for method handlers: each throws an `INVALID_PARAMS` RpcError that names the param. */
import { fromHex } from "../codec/bytes.ts";
import { U32_MAX, U128_MAX } from "../codec/ids.ts";
import { invalidParams } from "./errors.ts";
import type { Hex } from "./types.ts";

export interface Params {
  readonly length: number;
  /** An actor id: a u32 as a JSON number or decimal string. */
  actor(i: number, name?: string): number;
  /** 0x-prefixed hex bytes. */
  bytes(i: number, name: string): Uint8Array;
  /** A 32-byte 0x hash. */
  hash(i: number, name: string): Hex;
  /** A u128 amount as a decimal string (or a safe integer). */
  amount(i: number, name: string): bigint;
  /** A non-negative safe integer. */
  uint(i: number, name: string, max?: number): number;
  optional(i: number): boolean;
  raw(i: number): unknown;
  /** An optional plain object of options. */
  options(i: number, name: string): Record<string, unknown>;
  /** Rejects calls with more params than the method takes. */
  atMost(n: number): void;
}

/**
 * Wraps a request's `params` (absent, or an array) as a {@link Params} reader.
 *
 * @example readParams([7, "0x01"]).actor(0) // 7
 */
export function readParams(params: unknown): Params {
  if (params !== undefined && !Array.isArray(params)) {
    throw invalidParams("params must be an array (positional parameters)", 'e.g. "params": [7, "0x01"]');
  }
  const list: unknown[] = (params as unknown[] | undefined) ?? [];
  const need = (i: number, name: string): unknown => {
    if (i >= list.length || list[i] === undefined || list[i] === null) {
      throw invalidParams(`missing param ${i} (${name})`);
    }
    return list[i];
  };
  const uint = (i: number, name: string, max = Number.MAX_SAFE_INTEGER): number => {
    const v = need(i, name);
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > max) {
      throw invalidParams(`param ${i} (${name}) must be an integer in 0..=${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  return {
    length: list.length,
    actor: (i, name = "actor") => uint(i, name, U32_MAX),
    uint,
    bytes(i, name) {
      const v = need(i, name);
      if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v)) {
        throw invalidParams(
          `param ${i} (${name}) must be 0x-prefixed hex bytes`,
          'e.g. "0x01ff"; use "0x" for none',
        );
      }
      return fromHex(v);
    },
    hash(i, name) {
      const v = need(i, name);
      if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) {
        throw invalidParams(`param ${i} (${name}) must be a 32-byte 0x hash (64 hex digits)`);
      }
      return v.toLowerCase() as Hex;
    },
    amount(i, name) {
      const v = need(i, name);
      const ok =
        (typeof v === "string" && /^\d+$/.test(v)) || (typeof v === "number" && Number.isSafeInteger(v));
      const b = ok ? BigInt(v as string | number) : -1n;
      if (b < 0n || b > U128_MAX) {
        throw invalidParams(
          `param ${i} (${name}) must be a u128 amount as a decimal string, got ${JSON.stringify(v)}`,
        );
      }
      return b;
    },
    optional: (i) => i >= list.length || list[i] === undefined || list[i] === null,
    raw: (i) => list[i],
    options(i, name) {
      if (i >= list.length || list[i] === undefined || list[i] === null) return {};
      const v = list[i];
      if (typeof v !== "object" || Array.isArray(v))
        throw invalidParams(`param ${i} (${name}) must be an object`);
      return v as Record<string, unknown>;
    },
    atMost(n) {
      if (list.length > n) throw invalidParams(`expected at most ${n} params, got ${list.length}`);
    },
  };
}
