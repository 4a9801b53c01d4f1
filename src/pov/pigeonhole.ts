/**
 * The running hash chain of a pigeonhole (DESIGN §2 `Mailbox`, issue "Postcards"): every queued message
 * moves the head to `blake2b256(head ‖ SCALE(Message))`. `chain` keeps the head of each pigeonhole; a
 * PoV's witness gives the head before the messages an actor reads, and canonicalisation checks the head
 * after them, so a forged, reordered or skipped message cannot go unnoticed.
 */
import type { Hash } from "../codec/ids.ts";
import { Message } from "../codec/types.ts";
import { blake2b256 } from "../crypto/blake2b.ts";

/** The head of an empty pigeonhole: 32 zero bytes. */
export const EMPTY_HEAD = new Uint8Array(32) as Hash;

/**
 * The head after appending `message` to a pigeonhole whose head is `head`.
 *
 * @example const h1 = nextHead(EMPTY_HEAD, { from: { tag: "Actor", value: 1 }, to: 2, data })
 */
export function nextHead(head: Hash, message: Message): Hash {
  return blake2b256(head, Message.enc(message));
}

/** The head after appending `messages` in order. */
export function headAfter(head: Hash, messages: readonly Message[]): Hash {
  let h = head;
  for (const m of messages) h = nextHead(h, m);
  return h;
}
