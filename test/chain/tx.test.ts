import { describe, expect, it } from "vitest";
import {
  createChain,
  createMemoryStorage,
  decodeTx,
  minFee,
  SignedTx,
  signTx,
  type TxErrorCode,
} from "../../src/chain/index.ts";
import { concatBytes } from "../../src/codec/bytes.ts";
import type { ActorId, Hash } from "../../src/codec/ids.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { devKeypair } from "../../src/crypto/ed25519.ts";
import {
  alice,
  block,
  bob,
  bytes,
  collator,
  fakeEngine,
  GENESIS_BALANCE,
  newChain,
  PROGRAM,
  setup,
  testConfig,
  totalHeld,
  tx,
} from "./helpers.ts";

const everyone = [alice, bob].map((k) => k.publicKey);

function refused(chain: ReturnType<typeof newChain>, bytesTx: Uint8Array, code: TxErrorCode) {
  const before = { free: chain.account(alice.publicKey), supply: chain.supply(), head: chain.head().number };
  const r = chain.applyBlock({ txs: [bytesTx], author: bob.publicKey });
  const t = r.txs[0].result;
  expect(t.ok).toBe(false);
  if (!t.ok) {
    expect(t.error.code).toBe(code);
    expect(t.error.hint === undefined || typeof t.error.hint === "string").toBe(true);
  }
  // state untouched: no fee, no nonce bump; the block carries no transaction
  expect(chain.account(alice.publicKey)).toEqual(before.free);
  expect(chain.supply()).toEqual(before.supply);
  expect(chain.block(before.head + 1)?.txs).toEqual([]);
}

describe("transactions", () => {
  it("Transfer moves balance, bumps the nonce and pays the fee to the block's author (issue 13 §4)", () => {
    const chain = newChain();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 500n } });
    const fee = minFee(chain.config, t.length);
    const r = block(chain, [t]);
    expect(r.txs[0].result.ok && r.txs[0].result.value.fee).toBe(fee);
    expect(chain.balanceOf(alice.publicKey)).toBe(GENESIS_BALANCE - 500n - fee);
    expect(chain.balanceOf(bob.publicKey)).toBe(GENESIS_BALANCE + 500n);
    expect(chain.nonceOf(alice.publicKey)).toBe(1n);
    expect(chain.balanceOf(collator.publicKey)).toBe(fee);
    expect(chain.supply()).toEqual({ issuance: GENESIS_BALANCE * 3n, burned: 0n });
    expect(totalHeld(chain, [...everyone, devKeypair(2).publicKey, collator.publicKey])).toBe(
      chain.supply().issuance,
    );
    expect(chain.block(1)?.txs).toEqual([blake2b256(t)]);
  });

  it("a replayed transaction is refused as a stale nonce", () => {
    const chain = newChain();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } });
    block(chain, [t]);
    refused(chain, t, "TX_STALE_NONCE");
  });

  it("the same transaction twice in one block applies once", () => {
    const chain = newChain();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 7n } });
    const r = chain.applyBlock({ txs: [t, t], author: bob.publicKey });
    expect(r.txs.map((x) => x.result.ok)).toEqual([true, false]);
    // bob authored the block: the one fee is his too
    expect(chain.balanceOf(bob.publicKey)).toBe(GENESIS_BALANCE + 7n + minFee(chain.config, t.length));
  });

  it("the uploader removes a program no actor runs and gets its deposit back (issue 13 §4)", () => {
    const { chain, codeHash, ids } = setup(1);
    const info = chain.codeInfo(codeHash)!;
    expect(info.deposit).toBe(BigInt(PROGRAM.length) * chain.config.codeDepositPerByte);
    const remove = { tag: "RemoveCode" as const, value: { codeHash } };
    refused(chain, tx(chain, bob, remove), "TX_NOT_OWNER");
    // an actor still runs it
    refused(chain, tx(chain, alice, remove), "TX_CODE_IN_USE");
    expect(ids).toHaveLength(1);
    const other = setup(0);
    const before = other.chain.account(alice.publicKey);
    const t = tx(other.chain, alice, remove);
    block(other.chain, [t]);
    const after = other.chain.account(alice.publicKey);
    expect(after.reserved).toBe(before.reserved - info.deposit);
    expect(after.free).toBe(before.free + info.deposit - minFee(other.chain.config, t.length));
    expect(other.chain.code(codeHash)).toBeUndefined();
    expect(other.chain.codeInfo(codeHash)).toBeUndefined();
  });

  it("refuses a future nonce", () => {
    const chain = newChain();
    refused(
      chain,
      tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } }, 5n),
      "TX_FUTURE_NONCE",
    );
  });

  it("refuses a bad signature, a signature by another key, and a tampered payload", () => {
    const chain = newChain();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } });
    const flipped = t.slice();
    flipped[flipped.length - 1] ^= 1;
    refused(chain, flipped, "TX_BAD_SIGNATURE");
    const decoded = SignedTx.dec(t);
    const tampered = SignedTx.enc({
      ...decoded,
      payload: { ...decoded.payload, fee: decoded.payload.fee + 1n },
    });
    refused(chain, tampered, "TX_BAD_SIGNATURE");
    const byBob = SignedTx.enc({
      ...decoded,
      signature: SignedTx.dec(tx(chain, bob, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } }))
        .signature,
    });
    refused(chain, byBob, "TX_BAD_SIGNATURE");
  });

  it("refuses malformed bytes, trailing bytes included", () => {
    const chain = newChain();
    refused(chain, bytes("junk"), "TX_MALFORMED");
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } });
    refused(chain, concatBytes(t, new Uint8Array([0])), "TX_MALFORMED");
    expect(decodeTx(t).ok).toBe(true);
    // A Release whose 32-byte hash is cut short right before the signature: malformed, not a bad
    // signature (decoding and re-encoding with scale-ts let the short hash through).
    const release = tx(chain, alice, {
      tag: "Release",
      value: { hash: new Uint8Array(32).fill(7) as never },
    });
    const short = concatBytes(
      release.subarray(0, release.length - 65),
      release.subarray(release.length - 64),
    );
    const r = decodeTx(short);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("TX_MALFORMED");
  });

  it("refuses a fee below the minimum, and insufficient funds", () => {
    const chain = newChain();
    refused(
      chain,
      signTx(
        alice,
        { nonce: 0n, fee: 1n, call: { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } } },
        testConfig,
      ),
      "TX_FEE_TOO_LOW",
    );
    refused(
      chain,
      tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: GENESIS_BALANCE } }),
      "TX_INSUFFICIENT_FUNDS",
    );
    const poor = devKeypair(77);
    const r = chain.applyBlock({
      txs: [tx(chain, poor, { tag: "Transfer", value: { to: bob.publicKey, amount: 1n } })],
      author: bob.publicKey,
    });
    expect(!r.txs[0].result.ok && r.txs[0].result.error.code).toBe("TX_INSUFFICIENT_FUNDS");
    refused(
      chain,
      tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 0n } }),
      "TX_ZERO_AMOUNT",
    );
  });

  it("checkTx validates against the head without writing", () => {
    const chain = newChain();
    const t = tx(chain, alice, { tag: "Transfer", value: { to: bob.publicKey, amount: 3n } });
    const r = chain.checkTx(t);
    expect(r.ok && r.value.nonce).toBe(0n);
    expect(chain.nonceOf(alice.publicKey)).toBe(0n);
    expect(chain.balanceOf(bob.publicKey)).toBe(GENESIS_BALANCE);
    const bad = chain.checkTx(tx(chain, alice, { tag: "Fund", value: { actor: 99 as ActorId, amount: 1n } }));
    expect(!bad.ok && bad.error.code).toBe("TX_UNKNOWN_ACTOR");
  });
});

describe("code store", () => {
  it("Upload reserves a deposit per byte, stores by blake2b, and deduplicates", () => {
    const chain = newChain();
    const r = block(chain, [tx(chain, alice, { tag: "Upload", value: { blob: PROGRAM } })]);
    const h = blake2b256(PROGRAM);
    expect(r.txs[0].result.ok && r.txs[0].result.value.codeHash).toEqual(h);
    expect(chain.code(h as never)).toEqual(PROGRAM);
    const dep = BigInt(PROGRAM.length) * testConfig.codeDepositPerByte;
    expect(chain.account(alice.publicKey).reserved).toBe(dep);
    expect(chain.codeInfo(h as never)?.refs).toBe(1);
    // bob uploads the same blob: no second copy, no deposit
    block(chain, [tx(chain, bob, { tag: "Upload", value: { blob: PROGRAM } })]);
    expect(chain.account(bob.publicKey).reserved).toBe(0n);
    expect(chain.codeInfo(h as never)?.refs).toBe(1);
    expect(chain.codeSource.code(h as never)).toEqual(PROGRAM);
  });

  it("refuses oversized and invalid programs", () => {
    const chain = newChain();
    refused(
      chain,
      tx(chain, alice, { tag: "Upload", value: { blob: new Uint8Array(testConfig.maxCodeSize + 1) } }),
      "TX_TOO_LARGE",
    );
    refused(
      chain,
      tx(chain, alice, { tag: "Upload", value: { blob: new Uint8Array([0xff, 1, 2]) } }),
      "TX_BAD_PROGRAM",
    );
  });
});

describe("actors", () => {
  it("Create makes an actor at sequence 0 with the initial image's hash, kept as its slab", () => {
    const { chain, codeHash, ids } = setup(2, 1000n);
    expect(ids).toEqual([0, 1]);
    const a = chain.actor(ids[1]);
    expect(a?.sequence).toBe(0n);
    expect(a?.owner).toEqual(alice.publicKey);
    expect(a?.balance).toBe(1000n);
    const slab = chain.slab(ids[1]) as Uint8Array;
    expect(slab).toEqual(concatBytes(bytes("init|"), codeHash, bytes("actor1")));
    expect(a?.stateHash).toEqual(blake2b256(slab));
    expect(chain.codeInfo(codeHash)?.refs).toBe(3);
    expect(chain.actorIds()).toEqual([0, 1]);
  });

  it("refuses Create from an unknown code hash, oversized args or an endowment not held", () => {
    const { chain, codeHash } = setup(0);
    refused(
      chain,
      tx(chain, alice, {
        tag: "Create",
        value: { codeHash: blake2b256(bytes("x")) as never, args: bytes(""), endowment: 0n },
      }),
      "TX_UNKNOWN_CODE",
    );
    refused(
      chain,
      tx(chain, alice, {
        tag: "Create",
        value: { codeHash, args: new Uint8Array(testConfig.maxCallInput + 1), endowment: 0n },
      }),
      "TX_TOO_LARGE",
    );
    refused(
      chain,
      tx(chain, alice, {
        tag: "Create",
        value: { codeHash, args: bytes(""), endowment: GENESIS_BALANCE * 2n },
      }),
      "TX_INSUFFICIENT_FUNDS",
    );
    expect(chain.actorIds()).toEqual([]);
  });

  it("Fund credits an actor; unknown actors are refused", () => {
    const { chain, ids } = setup(1, 0n);
    block(chain, [tx(chain, bob, { tag: "Fund", value: { actor: ids[0], amount: 250n } })]);
    expect(chain.balanceOf(ids[0])).toBe(250n);
    refused(
      chain,
      tx(chain, alice, { tag: "Fund", value: { actor: 42 as ActorId, amount: 1n } }),
      "TX_UNKNOWN_ACTOR",
    );
  });

  it("Call queues user calls up to the queue's capacity", () => {
    const { chain, ids } = setup(1);
    const calls = [0, 1, 2].map((i) =>
      tx(chain, bob, { tag: "Call", value: { actor: ids[0], input: bytes(`c${i}`) } }, BigInt(i)),
    );
    const r = block(chain, calls);
    expect(chain.pendingCalls(ids[0]).map((c) => new TextDecoder().decode(c.input))).toEqual([
      "c0",
      "c1",
      "c2",
    ]);
    expect(chain.pendingCalls(ids[0])[0].id).toEqual(r.txs[0].hash);
    // the inputs alone, in queue order, as copies (changing one changes nothing stored)
    const inputs = chain.pendingInputs(ids[0], 2);
    expect(inputs.map((i) => new TextDecoder().decode(i))).toEqual(["c0", "c1"]);
    inputs[0]!.fill(0);
    expect(new TextDecoder().decode(chain.pendingInputs(ids[0])[0])).toBe("c0");
    // the slab without a copy reads the same bytes
    expect(chain.slabView(ids[0])).toEqual(chain.slab(ids[0]));
    expect(chain.slabView(99 as ActorId)).toBeUndefined();
    refused(
      chain,
      tx(chain, alice, { tag: "Call", value: { actor: ids[0], input: bytes("c3") } }),
      "TX_QUEUE_FULL",
    );
    refused(
      chain,
      tx(chain, alice, { tag: "Call", value: { actor: 5 as ActorId, input: bytes("") } }),
      "TX_UNKNOWN_ACTOR",
    );
    refused(
      chain,
      tx(chain, alice, {
        tag: "Call",
        value: { actor: ids[0], input: new Uint8Array(testConfig.maxCallInput + 1) },
      }),
      "TX_TOO_LARGE",
    );
  });

  it("Post enqueues a postcard with a running hash chain; a full pigeonhole refuses", () => {
    const { chain, ids } = setup(1);
    const before = chain.pigeonhole(ids[0]);
    expect(before?.messages).toEqual([]);
    block(
      chain,
      [0, 1, 2, 3].map((i) =>
        tx(chain, bob, { tag: "Post", value: { actor: ids[0], data: bytes(`p${i}`) } }, BigInt(i)),
      ),
    );
    const ph = chain.pigeonhole(ids[0]);
    expect(ph?.messages.map((m) => new TextDecoder().decode(m.data))).toEqual(["p0", "p1", "p2", "p3"]);
    expect(ph?.messages[0].from).toEqual({ tag: "Account", value: bob.publicKey });
    expect(ph?.head).toEqual(before?.head);
    expect(ph?.tail).not.toEqual(before?.tail);
    refused(
      chain,
      tx(chain, alice, { tag: "Post", value: { actor: ids[0], data: bytes("p4") } }),
      "TX_PIGEONHOLE_FULL",
    );
    refused(
      chain,
      tx(chain, alice, { tag: "Post", value: { actor: ids[0], data: new Uint8Array(64 * 1024 + 1) } }),
      "TX_TOO_LARGE",
    );
  });
});

describe("account preimages", () => {
  it("Store reserves a deposit and counts references; Release returns it and frees at zero", () => {
    const chain = newChain();
    const data = bytes("hello disk");
    const h = blake2b256(data) as Hash;
    const dep = BigInt(data.length) * testConfig.diskDepositPerByte;
    block(chain, [
      tx(chain, alice, { tag: "Store", value: { data } }),
      tx(chain, bob, { tag: "Store", value: { data } }),
    ]);
    block(chain, [tx(chain, alice, { tag: "Store", value: { data } })]);
    expect(chain.preimage(h)).toEqual(data);
    expect(chain.preimageInfo(h)?.refs).toBe(3);
    expect(chain.account(alice.publicKey).reserved).toBe(2n * dep);
    block(chain, [
      tx(chain, alice, { tag: "Release", value: { hash: h } }),
      tx(chain, bob, { tag: "Release", value: { hash: h } }),
    ]);
    expect(chain.preimageInfo(h)?.refs).toBe(1);
    expect(chain.account(bob.publicKey).reserved).toBe(0n);
    // bob holds no reference any more
    const r = chain.applyBlock({
      txs: [tx(chain, bob, { tag: "Release", value: { hash: h } })],
      author: bob.publicKey,
    });
    expect(!r.txs[0].result.ok && r.txs[0].result.error.code).toBe("TX_UNKNOWN_PREIMAGE");
    block(chain, [tx(chain, alice, { tag: "Release", value: { hash: h } })]);
    expect(chain.preimage(h)).toBeUndefined();
    expect(chain.account(alice.publicKey).reserved).toBe(0n);
    refused(
      chain,
      tx(chain, alice, { tag: "Store", value: { data: new Uint8Array(testConfig.maxPreimageSize + 1) } }),
      "TX_TOO_LARGE",
    );
  });

  it("Reserve prepays disk for an actor", () => {
    const { chain, ids } = setup(1);
    block(chain, [tx(chain, bob, { tag: "Reserve", value: { actor: ids[0], bytes: 100n } })]);
    expect(chain.actor(ids[0])?.diskReserved).toBe(100n);
    expect(chain.actor(ids[0])?.diskDeposit).toBe(100n * testConfig.diskDepositPerByte);
    refused(
      chain,
      tx(chain, alice, { tag: "Reserve", value: { actor: 9 as ActorId, bytes: 1n } }),
      "TX_UNKNOWN_ACTOR",
    );
  });

  it("Unreserve returns unused reservation to the owner; others and used bytes are refused", () => {
    const { chain, ids } = setup(1);
    block(chain, [tx(chain, bob, { tag: "Reserve", value: { actor: ids[0], bytes: 100n } })]);
    refused(
      chain,
      tx(chain, bob, { tag: "Unreserve", value: { actor: ids[0], bytes: 10n } }),
      "TX_NOT_OWNER",
    );
    refused(
      chain,
      tx(chain, alice, { tag: "Unreserve", value: { actor: ids[0], bytes: 101n } }),
      "TX_RESERVATION_IN_USE",
    );
    const before = chain.balanceOf(alice.publicKey);
    const t = tx(chain, alice, { tag: "Unreserve", value: { actor: ids[0], bytes: 40n } });
    const r = block(chain, [t]);
    const fee = r.txs[0].result.ok ? r.txs[0].result.value.fee : 0n;
    expect(chain.balanceOf(alice.publicKey)).toBe(before - fee + 40n * testConfig.diskDepositPerByte);
    expect(chain.actor(ids[0])).toMatchObject({
      diskReserved: 60n,
      diskDeposit: 60n * testConfig.diskDepositPerByte,
    });
  });
});

describe("chain setup", () => {
  it("refuses a config without cores, with a typed error", () => {
    expect(() =>
      createChain({ storage: createMemoryStorage(), engine: fakeEngine(), config: { cores: 0 } }),
    ).toThrow(expect.objectContaining({ code: "CHAIN_BAD_CONFIG" }));
  });

  it("writes block 0 from the genesis accounts once; two genesis configs give two genesis hashes", () => {
    const storage = createMemoryStorage();
    const chain = createChain({ storage, engine: fakeEngine(), config: testConfig });
    expect(chain.head().number).toBe(0);
    expect(chain.supply()).toEqual({ issuance: GENESIS_BALANCE * 3n, burned: 0n });
    const again = createChain({ storage, engine: fakeEngine(), config: testConfig });
    expect(again.genesisHash).toEqual(chain.genesisHash);
    expect(again.balanceOf(alice.publicKey)).toBe(GENESIS_BALANCE);
    const other = createChain({
      storage: createMemoryStorage(),
      engine: fakeEngine(),
      config: { ...testConfig, genesis: { accounts: [] } },
    });
    expect(other.genesisHash).not.toEqual(chain.genesisHash);
    expect(chain.block(chain.genesisHash)?.header.number).toBe(0);
  });
});
