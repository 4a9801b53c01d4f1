/** Tiny surgery on an emitted Wasm binary: rewriting the memory section's limits. */

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new Error("truncated LEB128");
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * Sets the (single, defined) memory's limits to `initial`/`maximum` pages. Binaryen has no setter for
 * memory limits that keeps data segment names, so we patch the section after emitting.
 */
export function patchMemoryLimits(wasm: Uint8Array, initial: number, maximum: number): Uint8Array {
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos]!;
    const [size, payloadAt] = readLeb(wasm, pos + 1);
    const end = payloadAt + size;
    if (id === 5) {
      const [count] = readLeb(wasm, payloadAt);
      if (count !== 1) throw new Error(`expected one memory, found ${count}`);
      const payload = [...leb(1), 0x01, ...leb(initial), ...leb(maximum)];
      const section = [5, ...leb(payload.length), ...payload];
      const out = new Uint8Array(pos + section.length + (wasm.length - end));
      out.set(wasm.subarray(0, pos), 0);
      out.set(section, pos);
      out.set(wasm.subarray(end), pos + section.length);
      return out;
    }
    pos = end;
  }
  throw new Error("no memory section");
}
