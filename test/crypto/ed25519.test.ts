/** ed25519 as the chain uses it: RFC 8032 known answers, and the strict verification rule (libsodium). */
import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/codec/bytes.ts";
import { keypairFromSeed, sign, verify } from "../../src/crypto/ed25519.ts";

// RFC 8032 §7.1, TEST 1-3: secret key (seed), public key, message, signature.
const VECTORS = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

describe("ed25519 (RFC 8032 known answers)", () => {
  for (const [i, v] of VECTORS.entries()) {
    it(`TEST ${i + 1}: key, signature and verification`, () => {
      const k = keypairFromSeed(fromHex(v.seed));
      expect(Buffer.from(k.publicKey).toString("hex")).toBe(v.pk);
      expect(Buffer.from(sign(fromHex(v.msg), k.secretKey)).toString("hex")).toBe(v.sig);
      expect(verify(fromHex(v.sig), fromHex(v.msg), fromHex(v.pk))).toBe(true);
    });
  }
});

describe("ed25519 verification rule", () => {
  const v = VECTORS[1]!;
  const sig = fromHex(v.sig);
  const msg = fromHex(v.msg);
  const pk = fromHex(v.pk);

  it("refuses a changed message, signature or key, and wrong lengths", () => {
    expect(verify(sig, Uint8Array.of(0x73), pk)).toBe(false);
    const flipped = sig.slice();
    flipped[10]! ^= 1;
    expect(verify(flipped, msg, pk)).toBe(false);
    expect(verify(sig, msg, fromHex(VECTORS[0]!.pk))).toBe(false);
    expect(verify(sig.subarray(0, 63), msg, pk)).toBe(false);
    expect(verify(sig, msg, pk.subarray(0, 31))).toBe(false);
  });

  it("refuses a malleated signature (S + L: same point equation, non-canonical S)", () => {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian, added to S (bytes 32..63).
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    let t = s + L;
    const mall = sig.slice();
    for (let i = 32; i < 64; i++) {
      mall[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(t).toBe(0n); // still fits in 32 bytes
    expect(verify(mall, msg, pk)).toBe(false);
  });

  it("refuses a small-order public key with a signature that satisfies the equation for it", () => {
    // A = identity (small order): R = identity and S = 0 satisfy [S]B = R + [k]A for every message.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    expect(verify(forged, Uint8Array.of(1, 2, 3), identity)).toBe(false);
    expect(verify(forged, new Uint8Array(), identity)).toBe(false);
  });
});
