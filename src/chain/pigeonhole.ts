/**
 * Pigeonholes (DESIGN §2 `Mailbox`; issue "Postcards"): a bounded FIFO of postcards per actor with a
 * running hash chain `head' = blake2b(head || SCALE(message))`, starting from {@link EMPTY_HEAD}.
 */
import type { ActorId, Hash } from "../codec/ids.ts";
import type { Message } from "../codec/types.ts";
import { EMPTY_HEAD, nextHead } from "../pov/pigeonhole.ts";
import { type ActorInfo, T } from "./state.ts";
import type { KvRead, KvWrite } from "./storage.ts";

// One hash chain for collators, validators and the chain: the pov layer's (DESIGN §4).
export { EMPTY_HEAD, nextHead };

/** Appends `message` (caller checked capacity); returns the updated record. */
export function enqueue(kv: KvWrite, id: ActorId, info: ActorInfo, message: Message): ActorInfo {
  const ph = info.pigeonhole;
  T.message.put(kv, [id, ph.queue.first + BigInt(ph.queue.len)], message);
  return {
    ...info,
    pigeonhole: {
      queue: { first: ph.queue.first, len: ph.queue.len + 1 },
      head: ph.head,
      tail: nextHead(ph.tail, message),
    },
  };
}

/** The first `count` waiting messages (all when undefined). */
export function peek(kv: KvRead, id: ActorId, info: ActorInfo, count?: number): Message[] {
  const n = Math.min(count ?? info.pigeonhole.queue.len, info.pigeonhole.queue.len);
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const m = T.message.get(kv, [id, info.pigeonhole.queue.first + BigInt(i)]);
    if (m) out.push(m);
  }
  return out;
}

/** Removes the first `count` messages, moving the consumed head to `head` (checked by the caller). */
export function dequeue(kv: KvWrite, id: ActorId, info: ActorInfo, count: number, head: Hash): ActorInfo {
  const q = info.pigeonhole.queue;
  for (let i = 0; i < count; i++) T.message.del(kv, [id, q.first + BigInt(i)]);
  return {
    ...info,
    pigeonhole: {
      queue: { first: q.first + BigInt(count), len: q.len - count },
      head,
      tail: info.pigeonhole.tail,
    },
  };
}
