/**
 * PVM memory (Graypaper A.1, DESIGN §12): a 32-bit address space of 4 KiB pages, each inaccessible,
 * read-only or writable. An access touching a page it may not use faults at that page's first address.
 * Pure and deterministic; pages are allocated on first use, so a sparse space costs nothing.
 */

export const PVM_PAGE = 4096;
const PAGE_SHIFT = 12;
/** {@link PvmMemory.check}'s answer for a write to a read-only page. */
export const READ_ONLY = -2;

export enum Access {
  None = 0,
  Read = 1,
  Write = 2,
}

export class PvmMemory {
  /** Page number → access. Absent = inaccessible. */
  readonly access = new Map<number, Access>();
  /** Page number → bytes, for accessible pages that were ever written or initialised. */
  readonly pages = new Map<number, Uint8Array>();
  /** Pages written since {@link clearDirty}: this memory's own copies (the others are shared). */
  readonly dirty = new Set<number>();

  /** Gives `[address, address + length)` the access `a` (whole pages). */
  setAccess(address: number, length: number, a: Access): void {
    const first = Math.floor(address / PVM_PAGE);
    const end = Math.ceil((address + length) / PVM_PAGE);
    for (let p = first; p < end; p++) {
      if (a === Access.None) {
        this.access.delete(p);
        this.pages.delete(p);
      } else this.access.set(p, a);
    }
  }

  /**
   * The page's bytes for writing: pages are shared with the image they came from, so the first write
   * since {@link clearDirty} copies the page (or allocates it) and marks it dirty.
   */
  page(p: number): Uint8Array {
    let bytes = this.pages.get(p);
    if (!this.dirty.has(p)) {
      bytes = bytes === undefined ? new Uint8Array(PVM_PAGE) : bytes.slice();
      this.pages.set(p, bytes);
      this.dirty.add(p);
    }
    return bytes!;
  }

  /**
   * -1 if `[address, address + n)` may be read (or written); {@link READ_ONLY} for a write to a mapped
   * read-only page (a panic, as the vectors `inst_store_*_trap_read_only` say); else the address of the
   * first page that is not mapped (a page fault).
   */
  check(address: number, n: number, write: boolean): number {
    const first = address >>> PAGE_SHIFT;
    const last = ((address + n - 1) >>> 0) >>> PAGE_SHIFT;
    const a = this.access.get(first) ?? Access.None;
    if (a === Access.None) return first * PVM_PAGE;
    const b = last === first ? a : (this.access.get(last) ?? Access.None);
    if (b === Access.None) return last * PVM_PAGE;
    if (write && (a !== Access.Write || b !== Access.Write)) return READ_ONLY;
    return -1;
  }

  /** Little-endian load of `n` ≤ 8 bytes; the caller has checked access. */
  load(address: number, n: number): bigint {
    const off = address & (PVM_PAGE - 1);
    if (off + n <= PVM_PAGE) {
      const pg = this.pages.get(address >>> PAGE_SHIFT);
      if (pg === undefined) return 0n;
      if (n === 1) return BigInt(pg[off]!);
      let lo = 0;
      const k = Math.min(n, 4);
      for (let i = k - 1; i >= 0; i--) lo = lo * 256 + pg[off + i]!;
      if (n <= 4) return BigInt(lo);
      let hi = 0;
      for (let i = 7; i >= 4; i--) hi = hi * 256 + pg[off + i]!;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.byte((address + i) >>> 0));
    return v;
  }

  /** Little-endian store of the low `n` bytes of `v`; the caller has checked access. */
  store(address: number, n: number, v: bigint): void {
    const off = address & (PVM_PAGE - 1);
    if (off + n <= PVM_PAGE) {
      const p = address >>> PAGE_SHIFT;
      const pg = this.page(p);
      let lo = Number(v & 0xffffffffn);
      const k = Math.min(n, 4);
      for (let i = 0; i < k; i++) {
        pg[off + i] = lo & 0xff;
        lo >>>= 8;
      }
      if (n > 4) {
        let hi = Number((v >> 32n) & 0xffffffffn);
        for (let i = 4; i < 8; i++) {
          pg[off + i] = hi & 0xff;
          hi >>>= 8;
        }
      }
      return;
    }
    for (let i = 0; i < n; i++) this.setByte((address + i) >>> 0, Number((v >> BigInt(8 * i)) & 0xffn));
  }

  byte(address: number): number {
    return this.pages.get(address >>> PAGE_SHIFT)?.[address & (PVM_PAGE - 1)] ?? 0;
  }

  setByte(address: number, b: number): void {
    const p = address >>> PAGE_SHIFT;
    this.page(p)[address & (PVM_PAGE - 1)] = b;
  }

  /** Copies `bytes` in at `address` regardless of access (initialisation, host results after a check). */
  write(address: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.setByte((address + i) >>> 0, bytes[i]!);
  }

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.byte((address + i) >>> 0);
    return out;
  }

  /** Replaces every page (rollback to an image's pages, shared until written). */
  reset(pages: ReadonlyMap<number, Uint8Array>): void {
    this.pages.clear();
    for (const [k, v] of pages) this.pages.set(k, v);
    this.dirty.clear();
  }

  /** True when `[address, address + length)` is mapped, and writable when `write`. */
  accessible(address: number, length: number, write: boolean): boolean {
    if (length === 0) return true;
    if (address + length > 2 ** 32) return false;
    const need = write ? Access.Write : Access.Read;
    for (let p = Math.floor(address / PVM_PAGE); p <= Math.floor((address + length - 1) / PVM_PAGE); p++)
      if ((this.access.get(p) ?? Access.None) < need) return false;
    return true;
  }

  clearDirty(): void {
    this.dirty.clear();
  }
}
