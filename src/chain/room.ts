/**
 * The room a relay view carries (issue 13 §0): each named actor's free pigeonhole slots and free disk
 * reservation at the relay parent. The host functions decide `send` and `store` from it, so a valid
 * PoV's sends and stores always apply. Pure: reads the state it is given.
 */
import type { ActorId } from "../codec/ids.ts";
import type { RoomView } from "../pov/types.ts";
import type { ChainConfig } from "./config.ts";
import { getActor } from "./ledger.ts";
import type { KvRead } from "./storage.ts";

const U32_MAX = 0xffff_ffff;

/**
 * Room of each existing actor in `actors` (duplicates and unknown ids left out), in ascending order.
 *
 * @example const room = roomOf(storage, config, [3, 9]); // [{ actor: 3, pigeonhole: 12, disk: 0n }, …]
 */
export function roomOf(kv: KvRead, config: ChainConfig, actors: readonly ActorId[]): RoomView[] {
  const ids = [...new Set(actors)].sort((a, b) => a - b);
  const out: RoomView[] = [];
  for (const actor of ids) {
    const a = getActor(kv, actor);
    if (!a) continue;
    const slots = Math.max(0, config.pigeonholeCapacity - a.pigeonhole.queue.len);
    const disk = a.diskReserved > a.diskUsed ? a.diskReserved - a.diskUsed : 0n;
    out.push({ actor, pigeonhole: Math.min(slots, U32_MAX), disk });
  }
  return out;
}
