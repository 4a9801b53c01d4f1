/**
 * SCALE codecs for the protocol types of the spec (docs/spec/coreplay-rfc.md, "Agenda") and DESIGN §2, §4, §5.
 * Every decode is strict: it must consume all bytes and the input must be the canonical encoding, so two
 * validators can never disagree on what a PoV says.
 */
import { _void, bool, type Codec, compact, str, u8, u16, u32, u64, u128 } from "scale-ts";
import { CoreplayError } from "../errors.ts";
import { bytesEqual } from "./bytes.ts";
import {
  Bytes,
  Enum,
  encodeWith,
  fastOf,
  Option,
  Refusal,
  Result,
  reader,
  Struct,
  Tuple,
  Vector,
} from "./fast.ts";
import type { AccountId, ActorId, CodeHash, Hash } from "./ids.ts";

// Branded views over the plain codecs: the bytes are checked by the codec itself (fixed length).
export const ActorIdCodec = u32 as unknown as Codec<ActorId>;
export const HashCodec = Bytes(32) as unknown as Codec<Hash>;
export const CodeHashCodec = Bytes(32) as unknown as Codec<CodeHash>;
export const AccountIdCodec = Bytes(32) as unknown as Codec<AccountId>;
export const BalanceCodec = u128;
export const VecU8 = Bytes();

/** The spec's `Invocation`: `Service { times }` resumes `main`, `Call { in, out }` runs `call`. */
export const Invocation = Enum({
  Service: Struct({ times: u32 }),
  Call: Struct({ input: VecU8, output: VecU8 }),
});
export type Invocation = ReturnType<typeof Invocation.dec>;

export const AgendaItem = Struct({ actor: ActorIdCodec, entry: Invocation });
export type AgendaItem = ReturnType<typeof AgendaItem.dec>;

/** `pre` is a whole encoded image; `post` may be a delta against `pre` (DESIGN §6). */
export const Slab = Struct({ actor: ActorIdCodec, sequence: u64, pre: VecU8, post: VecU8 });
export type Slab = ReturnType<typeof Slab.dec>;

/** The Actor PoV: agenda, slabs and an opaque witness (we encode {@link Witness} into it). */
export const Pov = Struct({ agenda: Vector(AgendaItem), slabs: Vector(Slab), witness: VecU8 });
export type Pov = ReturnType<typeof Pov.dec>;

/** Who sent a postcard or made a call: another actor or a signed account. */
export const Origin = Enum({ Actor: ActorIdCodec, Account: AccountIdCodec });
export type Origin = ReturnType<typeof Origin.dec>;

/** A postcard (DESIGN §2 `Message`), as queued in the recipient's pigeonhole. */
export const Message = Struct({ from: Origin, to: ActorIdCodec, data: VecU8 });
export type Message = ReturnType<typeof Message.dec>;

/** Why a `call` failed (DESIGN §5). `Actor` carries the actor's own error bytes. */
export const CallError = Enum({
  Actor: VecU8,
  OutOfGas: _void,
  Trap: _void,
  YieldInCall: _void,
  Reentry: _void,
  NotCoscheduled: _void,
});
export type CallError = ReturnType<typeof CallError.dec>;

/** A `Call` item's recorded `output`: `Result<Vec<u8>, CallError>` (DESIGN §6). */
export const CallOutput = Result(VecU8, CallError);
export type CallOutput = ReturnType<typeof CallOutput.dec>;

/**
 * What the collator puts in `Pov.witness`: the relay-parent view a stateless validator needs.
 * `messages[actor]` are the postcards that actor may `recv` in this play, in pigeonhole order, with the
 * pigeonhole's hash-chain head before the first one; `preimages` are disk items for `lookup`.
 */
export const Witness = Struct({
  relayParent: HashCodec,
  now: u32,
  coreGas: u64,
  messages: Vector(Struct({ actor: ActorIdCodec, headBefore: HashCodec, messages: Vector(Message) })),
  preimages: Vector(VecU8),
});
export type Witness = ReturnType<typeof Witness.dec>;

export const ProgramFormat = Enum({ Wasm: _void, Riscv: _void });
export type ProgramFormat = ReturnType<typeof ProgramFormat.dec>;

/** Program metadata carried in the blob header (DESIGN §5/§6). */
export const ProgramMetadata = Struct({
  name: str,
  /** Preemption (DESIGN §6): loop headers and calls become unwind points. `coreplay build` sets it unless `--cooperative`. */
  preemptible: bool,
  /** Free-form build information (toolchain, SDK version). */
  build: str,
  /** The actor's interface as JSON (src/iface/types.ts `ActorInterface`), "" when it declares none. */
  interface: str,
});
export type ProgramMetadata = ReturnType<typeof ProgramMetadata.dec>;

/** Magic bytes that open every program blob: "\0cpl". */
export const PROGRAM_MAGIC = new Uint8Array([0x00, 0x63, 0x70, 0x6c]);
/** The binary actor ABI version this implementation speaks (docs/abi.md). */
export const ABI_VERSION = 1;

export const ProgramBlob = Struct({
  magic: Bytes(4),
  abiVersion: u16,
  format: ProgramFormat,
  metadata: ProgramMetadata,
  code: VecU8,
});
export type ProgramBlob = ReturnType<typeof ProgramBlob.dec>;

export {
  _void,
  Bytes,
  bool,
  compact,
  Enum,
  Option,
  Result,
  Struct,
  str,
  Tuple,
  u8,
  u16,
  u32,
  u64,
  u128,
  Vector,
};

/** Options of {@link decodeExact}. */
export interface DecodeOptions {
  /**
   * Byte fields (`Bytes`, `VecU8`) of the value are views into `bytes` rather than copies. Only for a
   * caller that owns `bytes`, never writes to it or to those fields, and does not mind them keeping all
   * of `bytes` alive (e.g. a worker validating a PoV it was sent).
   */
  views?: boolean;
}

/**
 * Decodes `bytes` with `codec`, insisting on the canonical encoding of the whole input.
 * Throws {@link CodecError} on truncation, trailing bytes or non-canonical input.
 *
 * Codecs built with this module's constructors are decoded in one strict pass (see `fast.ts`); any other
 * codec is decoded by scale-ts and re-encoded, the input accepted only if that gives the same bytes.
 * Either way exactly the canonical encodings are accepted.
 *
 * @example decodeExact(Pov, bytes, "PoV")
 */
export function decodeExact<T>(codec: Codec<T>, bytes: Uint8Array, what: string, opts?: DecodeOptions): T {
  const fast = fastOf(codec);
  if (fast === undefined) return decodeByReencoding(codec, bytes, what);
  const r = reader(bytes, opts?.views === true);
  let value: T;
  try {
    value = fast.dec(r);
  } catch (cause) {
    const details = cause instanceof Refusal ? cause.reason : (cause as Error).message;
    throw new CodecError(`Malformed ${what}`, {
      details,
      cause: cause instanceof Refusal ? undefined : cause,
    });
  }
  if (r.i !== r.b.length) {
    throw new CodecError(`Malformed ${what}`, { details: `${r.b.length - r.i} trailing bytes` });
  }
  return value;
}

/** `decodeExact` for a codec without a fast twin: decode, re-encode, compare. */
function decodeByReencoding<T>(codec: Codec<T>, bytes: Uint8Array, what: string): T {
  let value: T;
  try {
    value = codec.dec(bytes);
  } catch (cause) {
    throw new CodecError(`Malformed ${what}`, { details: (cause as Error).message, cause });
  }
  let again: Uint8Array;
  try {
    again = codec.enc(value);
  } catch (cause) {
    throw new CodecError(`Malformed ${what}`, { details: "decoded value does not re-encode", cause });
  }
  if (!bytesEqual(again, bytes)) {
    throw new CodecError(`Malformed ${what}`, {
      details:
        again.byteLength < bytes.byteLength
          ? `${bytes.byteLength - again.byteLength} trailing bytes, or a non-canonical encoding`
          : "truncated input, or a non-canonical encoding",
    });
  }
  return value;
}

/**
 * `codec.enc(value)`, byte for byte, written in one buffer when the codec was built with this module's
 * constructors (scale-ts allocates and merges a buffer at every level).
 *
 * @example const bytes = encode(Verdict, verdict)
 */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const fast = fastOf(codec);
  return fast === undefined ? codec.enc(value) : encodeWith(fast, value);
}

export class CodecError extends CoreplayError {
  override name = "CodecError";
  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(shortMessage, {
      code: "CODEC_MALFORMED",
      hint: "check that the bytes were produced by Coreplay's codec",
      ...opts,
    });
  }
}
