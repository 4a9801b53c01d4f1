/**
 * `coreplay tx <actor> <method> [args…] --seed <key>`: sign a user call with your own key and submit it
 * (`tx_v1_submit`); `--raw <hex>` submits a transaction signed elsewhere (`signTx` bytes). `--wait`
 * reports a call's canonical result exactly as `coreplay call --wait` does (its receipt).
 */
import type { Command } from "commander";
import { signTx } from "../../chain/tx.ts";
import { toHex } from "../../codec/bytes.ts";
import type { ActorId } from "../../codec/ids.ts";
import { keypairFromSeed } from "../../crypto/ed25519.ts";
import type { TxStatusJson } from "../../rpc/types.ts";
import { type CallInput, callInput, printResult, receiptResult, resolveActor } from "../actor-call.ts";
import { readSeed } from "../keys.ts";
import { CliError, clientFor, examples, output, parseHexArg, progress, run, withCommon } from "../util.ts";

interface Options {
  url: string;
  json?: boolean;
  seed?: string;
  raw?: string;
  nonce?: string;
  wait?: boolean;
  timeout: string;
  data?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("tx")
    .description("sign a call to an actor with your own key and submit it (or submit a signed transaction)")
    .argument("[actor]", "actor id, or the name of its program")
    .argument("[method]", "method name (by the actor's interface), or the whole input as 0x hex")
    .argument("[args...]", "the method's arguments (as for `coreplay call`)")
    .option("--data <input>", "the call input from a file (@file), stdin (-) or 0x hex")
    .option(
      "--seed <seed>",
      "your ed25519 seed: 0x + 64 hex digits, or a file holding it (`coreplay keys new`)",
    )
    .option("--nonce <n>", "the transaction's nonce (default: the account's next, from the node)")
    .option("--raw <tx>", "submit these signed transaction bytes (0x hex) as they are")
    .option("--wait", "wait until a block includes or refuses the transaction")
    .option("--timeout <ms>", "how long --wait waits", "60000");
  withCommon(cmd);
  examples(cmd, [
    "coreplay tx counter increment --seed ./alice.key --wait",
    "coreplay tx 2 0x01 --seed 0x9d61…7f60 --wait",
    "coreplay tx 2 0x01 --seed ./alice.seed --json",
    "coreplay tx --raw 0x0a3c…",
  ]);
  cmd.action(
    run(async (a: string | undefined, d: string | undefined, rest: string[], o: Options) => {
      const client = clientFor(o);
      let bytes: `0x${string}`;
      let call: CallInput | undefined;
      if (o.raw !== undefined) bytes = parseHexArg(o.raw, "signed transaction");
      else {
        if (a === undefined || (d === undefined && o.data === undefined) || o.seed === undefined) {
          throw new CliError("What to sign?", {
            code: "CLI_MISSING_ARGS",
            hint: "pass <actor> <method> [args…] --seed <seed>, or --raw <signed transaction>",
          });
        }
        const actor = (await resolveActor(client, a)) as ActorId;
        call = await callInput(client, actor, d, rest, o.data);
        const input = call.input;
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
      if (s.status === "refused") {
        output(
          o,
          { ok: false, ...s },
          () => `refused ${hash} in block ${s.block}: ${s.error?.code} ${s.error?.message}`,
        );
        process.exitCode = 1;
        return;
      }
      if (!s.receipt) {
        output(o, { ok: true, ...s }, () => `included ${hash} in block ${s.block}`);
        return;
      }
      // A call: its canonical result, as `coreplay call --wait` prints it.
      if (!o.json) progress(`included in block ${s.block}; waiting for the call's result ...`);
      const r = await client.actor.receipt(hash, { timeoutMs: Math.max(1, until - Date.now()) });
      printResult(
        o,
        receiptResult(call ?? { input: new Uint8Array(), iface: undefined, method: undefined }, r),
        {
          hash,
          status: s.status,
          callId: r.callId,
          block: r.block,
          pov: r.pov,
          included: s.block,
        },
      );
    }),
  );
}
