/**
 * The current image of each actor (DESIGN §2 "Slab", spec "Secondary Storage": the disk-chain backs each
 * actor's continuation). Full encodings, so the next collator can start from it as a slab's `pre`.
 */

import { T } from "../chain/state.ts";
import type { KvRead, KvWrite } from "../chain/storage.ts";
import type { ActorId } from "../codec/ids.ts";

export const slabs = {
  get: (kv: KvRead, actor: ActorId): Uint8Array | undefined => T.slab.get(kv, actor),
  put: (kv: KvWrite, actor: ActorId, image: Uint8Array): void => T.slab.put(kv, actor, image),
};
