/**
 * `coreplay tx <actor> <data> --seed <key>`: sign a user call with your own key and submit it
 * (`tx_v1_submit`); `--raw <hex>` submits a transaction signed elsewhere (`signTx` bytes).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { signTx } from "../../chain/tx.ts";
import { fromHex, toHex } from "../../codec/bytes.ts";
import type { ActorId } from "../../codec/ids.ts";
import { keypairFromSeed } from "../../crypto/ed25519.ts";
import type { TxStatusJson } from "../../rpc/types.ts";
import {
  CliError,
  clientFor,
  examples,
  output,
  parseActor,
  parseHexArg,
  progress,
  run,
  withCommon,
} from "../util.ts";

interface Options {
  url: string;
  json?: boolean;
  seed?: string;
  raw?: string;
  nonce?: string;
  wait?: boolean;
  timeout: string;
}

/** A 32-byte ed25519 seed: 0x hex, or a file holding it. */
function readSeed(s: string): Uint8Array {
  const text = !s.startsWith("0x") && existsSync(s) ? readFileSync(s, "utf8").trim() : s;
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw new CliError("Invalid seed", {
      code: "CLI_BAD_SEED",
      details: s.startsWith("0x") ? "not 32 bytes of 0x hex" : `${s}: not a file holding 32 bytes of 0x hex`,
      hint: "pass the 32-byte ed25519 seed (e.g. a dev account's `secret` from `coreplay dev`) or a file holding it",
    });
  }
  return fromHex(text);
}

export function register(program: Command): void {
  const cmd = program
    .command("tx")
    .description("sign a call to an actor with your own key and submit it (or submit a signed transaction)")
    .argument("[actor]", "actor id")
    .argument("[data]", "call input, 0x hex")
    .option("--seed <seed>", "your ed25519 seed: 0x + 64 hex digits, or a file holding it")
    .option("--nonce <n>", "the transaction's nonce (default: the account's next, from the node)")
    .option("--raw <tx>", "submit these signed transaction bytes (0x hex) as they are")
    .option("--wait", "wait until a block includes or refuses the transaction")
    .option("--timeout <ms>", "how long --wait waits", "60000");
  withCommon(cmd);
  examples(cmd, [
    "coreplay tx 2 0x01 --seed 0x9d61…7f60 --wait",
    "coreplay tx 2 0x01 --seed ./alice.seed --json",
    "coreplay tx --raw 0x0a3c…",
  ]);
  cmd.action(
    run(async (a: string | undefined, d: string | undefined, o: Options) => {
      const client = clientFor(o);
      let bytes: `0x${string}`;
      if (o.raw !== undefined) bytes = parseHexArg(o.raw, "signed transaction");
      else {
        if (a === undefined || d === undefined || o.seed === undefined) {
          throw new CliError("What to sign?", {
            code: "CLI_MISSING_ARGS",
            hint: "pass <actor> <data> --seed <seed>, or --raw <signed transaction>",
          });
        }
        const actor = parseActor(a) as ActorId;
        const input = fromHex(parseHexArg(d, "call data"));
        const key = keypairFromSeed(readSeed(o.seed));
        const p = await client.tx.prepare(toHex(key.publicKey));
        if (o.nonce !== undefined && !/^\d+$/.test(o.nonce)) {
          throw new CliError("Invalid nonce", { code: "CLI_BAD_NONCE", details: JSON.stringify(o.nonce) });
        }
        const nonce = BigInt(o.nonce ?? p.nonce);
        const fees = { baseFee: BigInt(p.baseFee), feePerByte: BigInt(p.feePerByte) };
        bytes = toHex(signTx(key, { nonce, call: { tag: "Call", value: { actor, input } } }, fees));
      }
      const hash = await client.tx.submit(bytes);
      if (!o.wait) {
        output(o, { hash }, () => `submitted ${hash}\n(follow it with: coreplay tx --wait, or tx_v1_status)`);
        return;
      }
      if (!o.json) progress(`submitted ${hash}; waiting for a block ...`);
      const until = Date.now() + (Number(o.timeout) || 60_000);
      let s: TxStatusJson = await client.tx.status(hash);
      while (s.status === "pending") {
        if (Date.now() > until) {
          throw new CliError("Timed out waiting for a block", {
            code: "TIMEOUT",
            details: `${hash} is still pending`,
            hint: "a future nonce waits for the missing ones; in manual mode, produce a block (dev_v1_newBlock)",
          });
        }
        await new Promise((ok) => setTimeout(ok, 100));
        s = await client.tx.status(hash);
      }
      output(o, s, () =>
        s.status === "included"
          ? `included ${hash} in block ${s.block}`
          : `refused ${hash} in block ${s.block}: ${s.error?.code} ${s.error?.message}`,
      );
      if (s.status === "refused") process.exitCode = 1;
    }),
  );
}
