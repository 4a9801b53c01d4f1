/**
 * Positional-parameter readers for method handlers: each throws an `INVALID_PARAMS` RpcError that names the
 * param. Every check is linear in the input and recursion-free (a 10 MB hex string or 10^5-deep arrays
 * are refused as INVALID_PARAMS, never a stack overflow reported as INTERNAL).
 */
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
  const depth = nestingDepth(params, MAX_PARAMS_DEPTH);
  if (depth > MAX_PARAMS_DEPTH) {
    throw invalidParams(
      `params are nested more than ${MAX_PARAMS_DEPTH} levels deep`,
      "no method takes deeper params: send numbers, strings and flat option objects",
    );
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
      throw invalidParams(`param ${i} (${name}) must be an integer in 0..=${max}, got ${preview(v)}`);
    }
    return n;
  };
  return {
    length: list.length,
    actor: (i, name = "actor") => uint(i, name, U32_MAX),
    uint,
    bytes(i, name) {
      const v = need(i, name);
      if (typeof v !== "string" || !isHexBytes(v)) {
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
          `param ${i} (${name}) must be a u128 amount as a decimal string, got ${preview(v)}`,
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

/** Deepest nesting of arrays and objects any method accepts in its params (the params array is level 1). */
export const MAX_PARAMS_DEPTH = 32;

/**
 * How deeply `v` nests arrays and objects, counted without recursion and stopping once past `limit`
 * (so a 10^5-deep value costs `limit` steps down its deepest branch, not a stack frame per level).
 *
 * @example nestingDepth([[1], { a: [2] }], 32) // 3
 */
export function nestingDepth(v: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (typeof x !== "object" || x === null) continue;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof child === "object" && child !== null) stack.push([child, d + 1]);
    }
  }
  return deepest;
}

/**
 * `0x` then an even number of hex digits, checked by one loop: the regex `/^0x([0-9a-fA-F]{2})*$/`
 * overflows V8's regexp backtracking stack on ~10 MB strings.
 *
 * @example isHexBytes("0x01ff") // true
 */
export function isHexBytes(v: string): boolean {
  if (v.length % 2 !== 0 || v.charCodeAt(0) !== 48 || v.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) continue; // 0-9
    const l = c | 0x20; // ASCII lower case
    if (l < 97 || l > 102) return false; // a-f
  }
  return true;
}

/** A bounded rendering of a bad value for an error message (never the whole 10 MB string). */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v); // callers checked the depth (readParams); a throw still gives a message
  } catch {
    s = typeof v;
  }
  if (s === undefined) s = typeof v;
  return s.length > 80 ? `${s.slice(0, 80)}… (${s.length} chars)` : s;
}

/** Largest `timeoutMs` a wait accepts: Node's timers fire at once for anything above 2^31−1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The `timeoutMs` of a wait's options: `fallback` when absent, else an integer in 1..=2^31−1 ms.
 *
 * @throws {RpcError} INVALID_PARAMS for anything else (once, 2^31 ms and more timed out at once).
 * @example timeoutOption({ timeoutMs: 5000 }, 60_000) // 5000
 */
export function timeoutOption(o: Record<string, unknown>, fallback: number): number {
  const v = o.timeoutMs;
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_TIMEOUT_MS) {
    throw invalidParams(
      `options.timeoutMs must be an integer in 1..=${MAX_TIMEOUT_MS} (ms), got ${preview(v)}`,
      "leave it out for the default wait of 60 s",
    );
  }
  return v;
}
