/**
 * The chain spec (DESIGN §11): the JSON `coreplay chain-spec` writes and every node of a network reads.
 * It fixes genesis: the validators' and collators' public keys, the slot time, cores and gas. It holds
 * public keys only; each validator's secret seed is in its own key file.
 */
import { readFileSync } from "node:fs";
import { fromHex, toHex } from "../codec/bytes.ts";
import type { AccountId, Hash } from "../codec/ids.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { type Keypair, keypairFromSeed } from "../crypto/ed25519.ts";
import { NetError } from "./errors.ts";

export interface ChainSpec {
  name: string;
  /** Aura slot length in ms: slot = ⌊unix ms / slotMs⌋, author = validators[slot mod n]. */
  slotMs: number;
  cores: number;
  coreGas?: string;
  /** Blocks between rotations of the backing groups over the cores (issue 15 §2; default 10). */
  rotation?: number;
  validators: Array<{ name: string; publicKey: `0x${string}` }>;
  collators: Array<{ name: string; publicKey: `0x${string}` }>;
}

export interface KeyFile {
  name: string;
  role: "validator" | "collator";
  publicKey: `0x${string}`;
  seed: `0x${string}`;
}

const bad = (details: string) => new NetError("Invalid chain spec", { code: "NET_BAD_SPEC", details });
const isKey = (s: unknown): s is `0x${string}` => typeof s === "string" && /^0x[0-9a-f]{64}$/.test(s);

/** Checks a parsed spec; throws `NET_BAD_SPEC` naming the first wrong field. */
export function parseSpec(v: unknown): ChainSpec {
  const o = v as Partial<ChainSpec>;
  if (typeof o !== "object" || o === null) throw bad("not a JSON object");
  if (typeof o.name !== "string") throw bad("name must be a string");
  if (!Number.isInteger(o.slotMs) || (o.slotMs as number) < 50) throw bad("slotMs must be an integer ≥ 50");
  if (!Number.isInteger(o.cores) || (o.cores as number) < 1) throw bad("cores must be an integer ≥ 1");
  if (!Array.isArray(o.validators) || o.validators.length < 1 || o.validators.length > 1000)
    throw bad("validators must list 1..1000 keys");
  for (const [i, k] of o.validators.entries())
    if (!isKey(k?.publicKey)) throw bad(`validators[${i}].publicKey must be 32 bytes of lower-case hex`);
  if (!Array.isArray(o.collators)) throw bad("collators must be a list");
  if (o.coreGas !== undefined && !/^\d+$/.test(o.coreGas)) throw bad("coreGas must be a decimal string");
  if (o.rotation !== undefined && (!Number.isInteger(o.rotation) || o.rotation < 1))
    throw bad("rotation must be an integer ≥ 1");
  for (const [i, k] of o.collators.entries())
    if (!isKey(k?.publicKey)) throw bad(`collators[${i}].publicKey must be 32 bytes of lower-case hex`);
  return o as ChainSpec;
}

export function readSpec(path: string): ChainSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new NetError("Cannot read the chain spec", {
      code: "NET_BAD_SPEC",
      details: `${path}: ${(cause as Error).message}`,
      cause,
    });
  }
  try {
    return parseSpec(JSON.parse(text));
  } catch (e) {
    if (e instanceof NetError) throw e;
    throw bad(`${path}: ${(e as Error).message}`);
  }
}

/** The spec's identity: blake2b-256 of its canonical JSON (bound into the network's genesis header). */
export const specHash = (s: ChainSpec): Hash =>
  blake2b256(
    new TextEncoder().encode(
      JSON.stringify({
        name: s.name,
        slotMs: s.slotMs,
        cores: s.cores,
        coreGas: s.coreGas ?? null,
        rotation: s.rotation ?? DEFAULT_ROTATION,
        validators: s.validators.map((v) => v.publicKey),
        collators: s.collators.map((c) => c.publicKey),
      }),
    ),
  );

export const DEFAULT_ROTATION = 10;

export const collatorKeys = (s: ChainSpec): AccountId[] =>
  s.collators.map((c) => fromHex(c.publicKey) as AccountId);

export const validatorKeys = (s: ChainSpec): AccountId[] =>
  s.validators.map((v) => fromHex(v.publicKey) as AccountId);

/** Reads a key file and checks its seed makes its public key. */
export function readKeyFile(path: string): { file: KeyFile; keypair: Keypair } {
  let file: KeyFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as KeyFile;
  } catch (cause) {
    throw new NetError("Cannot read the key file", {
      code: "NET_BAD_KEY",
      details: `${path}: ${(cause as Error).message}`,
      cause,
    });
  }
  if (typeof file.seed !== "string" || !isKey(file.seed))
    throw new NetError("Invalid key file", {
      code: "NET_BAD_KEY",
      details: `${path}: seed must be 32 bytes of hex`,
    });
  const keypair = keypairFromSeed(fromHex(file.seed));
  if (toHex(keypair.publicKey) !== file.publicKey)
    throw new NetError("Invalid key file", {
      code: "NET_BAD_KEY",
      details: `${path}: the seed does not make publicKey`,
    });
  return { file, keypair };
}
