/** Prefunded deterministic dev accounts (like anvil's) and the collators' payout accounts. */
import { toHex } from "../codec/bytes.ts";
import type { AccountId } from "../codec/ids.ts";
import { devKeypair, type Keypair } from "../crypto/ed25519.ts";
import type { AccountJson } from "../rpc/types.ts";

/** Dev accounts printed at start and endowed at genesis. */
export const DEV_ACCOUNTS = 10;
/** Each dev account's genesis balance: 10^24 units. */
export const DEV_BALANCE = 10n ** 24n;
/** Collator `i` is paid into `devKeypair(COLLATOR_KEY_BASE + i)`. */
export const COLLATOR_KEY_BASE = 1000;

export const devAccounts = (n = DEV_ACCOUNTS): Keypair[] =>
  Array.from({ length: n }, (_, i) => devKeypair(i));
const collatorAccounts = new Map<number, AccountId>();
/** Collator `i`'s payout account (derived once: deriving an ed25519 public key is not free). */
export function collatorAccount(i: number): AccountId {
  let a = collatorAccounts.get(i);
  if (!a) {
    a = devKeypair(COLLATOR_KEY_BASE + i).publicKey;
    collatorAccounts.set(i, a);
  }
  return a;
}

let devAuthor: Keypair | undefined;
/** The key `coreplay dev` seals its blocks with: collator 0's (the author it names in every header). */
export function devAuthorKey(): Keypair {
  devAuthor ??= devKeypair(COLLATOR_KEY_BASE);
  return devAuthor;
}

/**
 * The banner `coreplay dev` prints, anvil style.
 *
 * @example console.error(formatAccounts(accounts));
 */
export function formatAccounts(accounts: readonly AccountJson[]): string {
  const lines = ["Dev accounts (ed25519; public key / secret seed / balance):", ""];
  for (const a of accounts) {
    lines.push(`(${a.index}) ${a.publicKey}`);
    lines.push(`    secret ${a.secretKey}   balance ${a.balance}`);
  }
  return lines.join("\n");
}

export const accountJson = (index: number, kp: Keypair, balance: bigint): AccountJson => ({
  index,
  publicKey: toHex(kp.publicKey),
  secretKey: toHex(kp.secretKey),
  balance: balance.toString(),
});
