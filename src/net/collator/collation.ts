/**
 * A collation (issue 15 §1): the PoV a collator built for one core on one relay parent, signed by the
 * collator, as it travels to the core's backing group. The signature binds the collator to the bytes
 * (who gets the payouts, whose misbehaviour an invalid PoV is). Pure: codec, signing, checks.
 */
import { bytesEqual } from "../../codec/bytes.ts";
import type { AccountId, ActorId, Hash } from "../../codec/ids.ts";
import {
  AccountIdCodec,
  ActorIdCodec,
  Bytes,
  decodeExact,
  encode,
  HashCodec,
  Struct,
  u16,
  Vector,
  VecU8,
} from "../../codec/types.ts";
import { blake2b256 } from "../../crypto/blake2b.ts";
import { type Keypair, sign, verify } from "../../crypto/ed25519.ts";
import { err, ok, type Result } from "../../errors.ts";

/** Largest collation on the wire: as a gossip block (a PoV beyond it is not sent; docs/decisions.md). */
export const MAX_COLLATION_BYTES = 8 * 1024 * 1024;

export const Collation = Struct({
  relayParent: HashCodec,
  core: u16,
  collator: AccountIdCodec,
  pov: VecU8,
  /**
   * Actors beside the PoV's whose room (pigeonhole, disk) the play's view showed (issue 13 §0): a
   * validator makes the same view from its own state with them (`chain.relayView(actors, { recipients })`).
   */
  recipients: Vector(ActorIdCodec),
  signature: Bytes(64),
});
export type Collation = ReturnType<typeof Collation.dec>;

const DOMAIN = new TextEncoder().encode("coreplay/collation");

const Recipients = Vector(ActorIdCodec);
/** Most recipients a collation names (a play names a few per pass, three passes). */
export const MAX_RECIPIENTS = 1024;

const message = (c: {
  relayParent: Uint8Array;
  core: number;
  pov: Uint8Array;
  recipients: readonly ActorId[];
}) => {
  const core = new Uint8Array(2);
  new DataView(core.buffer).setUint16(0, c.core, true);
  return blake2b256(DOMAIN, c.relayParent, core, povId(c.pov), encode(Recipients, [...c.recipients]));
};

/** The PoV's id, as the chain and statements name it: blake2b-256 of its bytes. */
export const povId = (pov: Uint8Array): Hash => blake2b256(pov);

export function signCollation(
  c: { relayParent: Hash; core: number; pov: Uint8Array; recipients?: ActorId[] },
  key: Keypair,
): Collation {
  const recipients = c.recipients ?? [];
  return {
    relayParent: c.relayParent,
    core: c.core,
    collator: key.publicKey as AccountId,
    pov: c.pov,
    recipients,
    signature: sign(message({ ...c, recipients }), key.secretKey),
  };
}

export type CollationRefusal = "Oversized" | "Malformed" | "UnknownCollator" | "BadSignature";

export const encodeCollation = (c: Collation): Uint8Array => encode(Collation, c);

/** Decodes after a size check and checks the signature and that the collator is registered. */
export function decodeCollation(
  bytes: Uint8Array,
  collators: readonly Uint8Array[],
): Result<Collation, CollationRefusal> {
  if (bytes.length > MAX_COLLATION_BYTES) return err("Oversized");
  let c: Collation;
  try {
    c = decodeExact(Collation, bytes, "collation");
  } catch {
    return err("Malformed");
  }
  if (c.recipients.length > MAX_RECIPIENTS) return err("Oversized");
  if (!collators.some((k) => bytesEqual(k, c.collator))) return err("UnknownCollator");
  if (!verify(c.signature, message(c), c.collator)) return err("BadSignature");
  return ok(c);
}
