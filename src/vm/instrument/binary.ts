/** Tiny surgery on an emitted Wasm binary: the memory section's limits and the data segments' offsets. */

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

function readSleb32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let pos = at;
  let byte: number;
  do {
    byte = bytes[pos++]!;
    if (byte === undefined) throw new Error("truncated LEB128");
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 32 && byte & 0x40) result |= -1 << shift;
  return [result | 0, pos];
}

function sleb32(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * Moves every active data segment up by `by` bytes (the scratch below the logical memory, layout.ts).
 * Binaryen has no setter for a segment's offset, so we patch the data section after emitting. Each
 * active segment's offset must be an `i32.const` (checks.ts refuses anything else, and that it fits).
 */
export function shiftDataSegments(wasm: Uint8Array, by: number): Uint8Array {
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos]!;
    const [size, payloadAt] = readLeb(wasm, pos + 1);
    const end = payloadAt + size;
    if (id !== 11) {
      pos = end;
      continue;
    }
    const [count, first] = readLeb(wasm, payloadAt);
    const parts: Uint8Array[] = [new Uint8Array(leb(count))];
    const push = (...b: number[]) => parts.push(new Uint8Array(b));
    let at = first;
    for (let i = 0; i < count; i++) {
      const [flags, next] = readLeb(wasm, at);
      at = next;
      push(...leb(flags));
      if (flags === 2) {
        const [memory, after] = readLeb(wasm, at);
        push(...leb(memory));
        at = after;
      }
      if (flags === 0 || flags === 2) {
        if (wasm[at] !== 0x41) throw new Error("data segment offset is not an i32.const");
        const [offset, after] = readSleb32(wasm, at + 1);
        if (wasm[after] !== 0x0b) throw new Error("data segment offset is not a single i32.const");
        push(0x41, ...sleb32(offset + by), 0x0b);
        at = after + 1;
      }
      const [length, dataAt] = readLeb(wasm, at);
      push(...leb(length));
      parts.push(wasm.subarray(dataAt, dataAt + length));
      at = dataAt + length;
    }
    const payloadLength = parts.reduce((n, p) => n + p.length, 0);
    const header = new Uint8Array([11, ...leb(payloadLength)]);
    const out = new Uint8Array(pos + header.length + payloadLength + (wasm.length - end));
    out.set(wasm.subarray(0, pos), 0);
    let w = pos;
    for (const p of [header, ...parts]) {
      out.set(p, w);
      w += p.length;
    }
    out.set(wasm.subarray(end), w);
    return out;
  }
  return wasm;
}
