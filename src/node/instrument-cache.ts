/**
 * The disk cache of instrumented modules (src/vm/instrument/cache.ts), shared by the node, its validator
 * workers and later runs: `node_modules/.cache/coreplay/instrument/` of this package (override with
 * `COREPLAY_CACHE_DIR`, turn off with `COREPLAY_CACHE=off`).
 *
 * Entries are named by the code, the options and a fingerprint of the instrumenter (its sources and
 * Binaryen's version), so changing the instrumenter never serves stale output. Each file carries a
 * checksum; a damaged or unreadable entry is a miss, and a failed write is ignored (the cache only
 * saves time).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type InstrumentCache, setInstrumentCache } from "../vm/instrument/cache.ts";
import type { Instrumented } from "../vm/instrument/layout.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** What the instrumenter's output depends on besides its input: its own sources and Binaryen. */
function fingerprint(): string {
  const vm = fileURLToPath(new URL("../vm/", import.meta.url));
  const dir = join(vm, "instrument");
  const files = [
    join(vm, "abi.ts"),
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .sort()
      .map((f) => join(dir, f)),
  ];
  const require = createRequire(import.meta.url);
  const binaryen = (require("binaryen/package.json") as { version: string }).version;
  const parts = [Buffer.from(`binaryen ${binaryen}\n`), ...files.map((f) => readFileSync(f))];
  return hex(blake2b256(Buffer.concat(parts)));
}

/** A cache in `dir` (created on first write). */
export function createDiskInstrumentCache(dir: string): InstrumentCache {
  const print = fingerprint();
  const path = (key: string) => join(dir, `${hex(blake2b256(Buffer.from(`${print}:${key}`)))}.cpi`);
  return {
    get(key) {
      try {
        const file = readFileSync(path(key));
        const body = file.subarray(32);
        if (!Buffer.from(blake2b256(body)).equals(file.subarray(0, 32))) return undefined;
        const jsonLength = body.readUInt32LE(0);
        const meta = JSON.parse(body.subarray(4, 4 + jsonLength).toString("utf8")) as Omit<
          Instrumented,
          "wasm"
        >;
        return { ...meta, wasm: new Uint8Array(body.subarray(4 + jsonLength)) };
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      try {
        const { wasm, ...meta } = value;
        const json = Buffer.from(JSON.stringify(meta), "utf8");
        const head = Buffer.alloc(4);
        head.writeUInt32LE(json.length, 0);
        const body = Buffer.concat([head, json, wasm]);
        mkdirSync(dir, { recursive: true });
        const target = path(key);
        const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        writeFileSync(tmp, Buffer.concat([blake2b256(body), body]));
        renameSync(tmp, target); // atomic: readers see a whole entry or none
      } catch {
        // best effort
      }
    },
  };
}

/** Where the cache lives, or `undefined` when it is turned off. */
export function instrumentCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const off = env.COREPLAY_CACHE;
  if (off === "off" || off === "0" || off === "false") return undefined;
  if (env.COREPLAY_CACHE_DIR) return env.COREPLAY_CACHE_DIR;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  try {
    const dir = join(root, "node_modules", ".cache", "coreplay", "instrument");
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return join(tmpdir(), "coreplay-cache", "instrument");
  }
}

let installed = false;

/** Installs the disk cache for this thread (idempotent; a no-op when turned off). */
export function installInstrumentCache(): void {
  if (installed) return;
  installed = true;
  const dir = instrumentCacheDir();
  if (dir !== undefined) setInstrumentCache(createDiskInstrumentCache(dir));
}
