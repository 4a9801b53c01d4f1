import { CoreplayError } from "../errors.ts";

/** Lower-case `0x`-prefixed hex of `bytes`. */
export function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/**
 * Parses `0x`-prefixed (or bare) hex into bytes, rejecting odd lengths and non-hex digits.
 *
 * @example fromHex("0x0102") // Uint8Array [1, 2]
 */
export function fromHex(hex: string): Uint8Array {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new CoreplayError("Invalid hex string", {
      code: "INVALID_HEX",
      details: `expected an even number of hex digits, got ${JSON.stringify(hex.length > 80 ? `${hex.slice(0, 80)}…` : hex)}`,
      hint: "pass bytes as 0x-prefixed hex, e.g. 0x01ff",
    });
  }
  return new Uint8Array(Buffer.from(body, "hex"));
}

/** Byte equality: a plain loop below 64 bytes (no Buffer views made), memcmp above. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.byteLength;
  if (n !== b.byteLength) return false;
  if (n < 64) {
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
