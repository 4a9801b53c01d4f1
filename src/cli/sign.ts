/**
 * Signs a transaction with your key (`--seed`) or, on a dev network, dev account 0's, submits it and
 * waits for its block (what `disk reserve`, `disk release` and `tx` need).
 */
import { signTx, type TxCall } from "../chain/tx.ts";
import { toHex } from "../codec/bytes.ts";
import { keypairFromSeed } from "../crypto/ed25519.ts";
import type { Client } from "../rpc/client.ts";
import type { TxStatusJson } from "../rpc/types.ts";
import { readSeed } from "./keys.ts";
import { CliError } from "./util.ts";

/** The signer: `--seed`, or dev account 0 of the node (its secret comes from dev_v1_accounts). */
async function signerSeed(client: Client, seed: string | undefined): Promise<Uint8Array> {
  if (seed !== undefined) return readSeed(seed);
  const [dev] = await client.dev.accounts();
  if (!dev) {
    throw new CliError("No dev account to sign with", {
      code: "CLI_NO_SIGNER",
      hint: "pass --seed <your key> (`coreplay keys new` makes one)",
    });
  }
  return readSeed(dev.secretKey);
}

/** Signs `call` at the account's next nonce, submits it and polls until a block includes or refuses it. */
export async function signAndWait(
  client: Client,
  call: TxCall,
  o: { seed?: string; timeoutMs?: number },
): Promise<TxStatusJson> {
  const key = keypairFromSeed(await signerSeed(client, o.seed));
  const p = await client.tx.prepare(toHex(key.publicKey));
  const fees = { baseFee: BigInt(p.baseFee), feePerByte: BigInt(p.feePerByte) };
  const hash = await client.tx.submit(toHex(signTx(key, { nonce: BigInt(p.nonce), call }, fees)));
  const until = Date.now() + (o.timeoutMs ?? 60_000);
  let s = await client.tx.status(hash);
  while (s.status === "pending") {
    if (Date.now() > until) {
      throw new CliError("Timed out waiting for a block", {
        code: "TIMEOUT",
        details: `${hash} is still pending`,
        hint: "in manual mode, produce a block (`coreplay mine`)",
      });
    }
    await new Promise((ok) => setTimeout(ok, 100));
    s = await client.tx.status(hash);
  }
  if (s.status === "refused") {
    throw new CliError(`Refused: ${s.error?.message ?? "the chain refused the transaction"}`, {
      code: s.error?.code ?? "TX_REFUSED",
      details: s.error?.details,
    });
  }
  return s;
}
