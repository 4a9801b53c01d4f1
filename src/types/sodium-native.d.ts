/** The part of sodium-native (libsodium bindings, no bundled types) that Coreplay uses. */
declare module "sodium-native" {
  /** libsodium's `crypto_sign_verify_detached`: a 64-byte ed25519 signature of `message` by `publicKey`. */
  export function crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
}
