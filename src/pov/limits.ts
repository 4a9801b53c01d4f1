/**
 * Bounds the executor enforces on every play (DESIGN §5, §7). They are consensus constants: a collator and
 * a validator must use the same values, so they live here and nowhere else.
 */

/** Largest postcard payload `send` accepts, in bytes; above it `send` returns HOST_ERROR.TooLarge. */
export const MAX_MESSAGE_SIZE = 64 * 1024;
/** Postcards one play may send (all actors together); beyond it `send` returns HOST_ERROR.Full. */
export const MAX_OUTBOX_MESSAGES = 1024;
/** Payload bytes one play may send (all actors together); beyond it `send` returns HOST_ERROR.Full. */
export const MAX_OUTBOX_BYTES = 4 * 1024 * 1024;
/** Largest preimage `store` accepts (and a witness may carry), in bytes (DESIGN §7). */
export const MAX_PREIMAGE_SIZE = 1024 * 1024;
/** Preimage bytes one play may store (all actors together); beyond it `store` returns HOST_ERROR.Full. */
export const MAX_STORED_BYTES = 8 * 1024 * 1024;
/** `request`s one play may make; beyond it `request` returns HOST_ERROR.Full. */
export const MAX_REQUESTS = 256;
/** `transfer`s, `release`s and `store`s one play may make, each; beyond it they return HOST_ERROR.Full. */
export const MAX_EFFECTS = 1024;
/**
 * Largest `carry` of `set_code`, in bytes (DESIGN §10: the bytes the old code keeps for the new one);
 * above it `set_code` returns HOST_ERROR.TooLarge. An actor's later `set_code` in the same play replaces
 * its earlier one, so a play carries at most MAX_COSCHEDULED × MAX_CARRY bytes.
 */
export const MAX_CARRY = 64 * 1024;
/** `log` lines kept per play; later lines are dropped. */
export const MAX_LOG_LINES = 256;
/** A log line is cut to this many UTF-16 code units. */
export const MAX_LOG_LINE = 1024;
/** Agenda items in one PoV. */
export const MAX_AGENDA_ITEMS = 4096;
/** Co-scheduled actors in one PoV. */
export const MAX_COSCHEDULED = 64;
/** Preimages and messages a witness may carry, each. */
export const MAX_WITNESS_ITEMS = 4096;
/** Gas for each actor's `payout(now)` inspector after the play; not charged to the core's budget. */
export const PAYOUT_GAS = 1_000_000n;
/**
 * Largest PoV, in encoded bytes (issue 13 §3; Polkadot's `max_pov_size` is 5–10 MiB). Validators refuse a
 * larger one (`Malformed`); the actor memory cap (vm/abi.ts `DEFAULT_MAX_PAGES`, 4 MiB) keeps one actor's
 * `pre` + `post` (≤ 8 MiB) within it, and collators fit agenda and witness in the rest.
 */
export const MAX_POV_SIZE = 10 * 1024 * 1024;
