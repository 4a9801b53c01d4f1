/**
 * The disk-chain's preimage store (DESIGN §7): content-addressed by blake2b-256, reference-counted per
 * owner, bounded in size. Balances and quotas are the chain's business: callers pass the deposit a
 * reference holds and get it back on release.
 */

import { type Owner, type PreimageInfo, T } from "../chain/state.ts";
import type { KvRead, KvWrite } from "../chain/storage.ts";
import type { ActorId, Hash } from "../codec/ids.ts";
import { blake2b256 } from "../crypto/blake2b.ts";
import { err, ok, type Result } from "../errors.ts";
import { DiskError } from "./errors.ts";

export interface Disk {
  /**
   * Adds one reference of `owner` to `data`'s preimage (stored on the first reference).
   * `deposit` is what this reference holds, returned by {@link Disk.release}.
   */
  store(
    kv: KvWrite,
    owner: Owner,
    data: Uint8Array,
    deposit: bigint,
  ): Result<{ hash: Hash; fresh: boolean }, DiskError>;
  /** Drops one reference of `owner`; frees the preimage at zero references. Returns the deposit it held. */
  release(
    kv: KvWrite,
    owner: Owner,
    hash: Hash,
  ): Result<{ refund: bigint; size: number; freed: boolean }, DiskError>;
  lookup(kv: KvRead, hash: Hash): Uint8Array | undefined;
  info(kv: KvRead, hash: Hash): PreimageInfo | undefined;
  /** `owner`'s references to `hash` (0 when none). */
  refsOf(kv: KvRead, owner: Owner, hash: Hash): number;
  /** Records that `actor` asked for `hash` in a later play (DESIGN §7 `request`). */
  request(kv: KvWrite, actor: ActorId, hash: Hash, block: number): void;
  requests(kv: KvRead, actor: ActorId): Hash[];
  clearRequests(kv: KvWrite, actor: ActorId): void;
}

/**
 * @example
 * const disk = createDisk({ maxPreimageSize: 1 << 20 });
 * const r = disk.store(tx, { tag: "Actor", value: actor }, bytes, 0n);
 */
export function createDisk(config: { maxPreimageSize: number }): Disk {
  const disk: Disk = {
    store(kv, owner, data, deposit) {
      if (data.byteLength > config.maxPreimageSize) {
        return err(
          new DiskError(
            "DISK_TOO_LARGE",
            "Preimage too large",
            `${data.byteLength} > ${config.maxPreimageSize} bytes`,
          ),
        );
      }
      const hash = blake2b256(data);
      const info = T.preimageInfo.get(kv, hash);
      if (!info) T.preimageBlob.put(kv, hash, data);
      T.preimageInfo.put(kv, hash, { refs: (info?.refs ?? 0) + 1, size: data.byteLength });
      const mine = T.preimageRef.get(kv, [owner, hash]);
      T.preimageRef.put(kv, [owner, hash], {
        count: (mine?.count ?? 0) + 1,
        deposit: (mine?.deposit ?? 0n) + deposit,
      });
      return ok({ hash, fresh: !info });
    },
    release(kv, owner, hash) {
      const mine = T.preimageRef.get(kv, [owner, hash]);
      const info = T.preimageInfo.get(kv, hash);
      if (!mine || mine.count === 0 || !info) {
        return err(
          new DiskError("DISK_NOT_HELD", "No reference to release", `${Buffer.from(hash).toString("hex")}`),
        );
      }
      // every reference of one owner holds the same deposit (per-byte price of the same size)
      const refund = mine.deposit / BigInt(mine.count);
      if (mine.count === 1) T.preimageRef.del(kv, [owner, hash]);
      else T.preimageRef.put(kv, [owner, hash], { count: mine.count - 1, deposit: mine.deposit - refund });
      const freed = info.refs === 1;
      if (freed) {
        T.preimageInfo.del(kv, hash);
        T.preimageBlob.del(kv, hash);
      } else T.preimageInfo.put(kv, hash, { refs: info.refs - 1, size: info.size });
      return ok({ refund, size: info.size, freed });
    },
    lookup: (kv, hash) => T.preimageBlob.get(kv, hash),
    info: (kv, hash) => T.preimageInfo.get(kv, hash),
    refsOf: (kv, owner, hash) => T.preimageRef.get(kv, [owner, hash])?.count ?? 0,
    request(kv, actor, hash, block) {
      if (T.request.get(kv, [actor, hash]) === undefined) T.request.put(kv, [actor, hash], block);
    },
    requests(kv, actor) {
      const out: Hash[] = [];
      for (const [k] of T.request.scan(kv, actor)) out.push(k.slice(5) as Hash);
      return out;
    },
    clearRequests(kv, actor) {
      for (const [k] of [...T.request.scan(kv, actor)]) kv.del(k);
    },
  };
  return disk;
}
