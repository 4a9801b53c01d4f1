/**
 * `coreplay disk reserve|unreserve|store|get|release`: the disk-chain from the shell. An actor's
 * `store()` needs disk reserved for it first (a `Reserve` transaction, prepaid per byte); `store`/`get`
 * here put and read preimages for accounts (sdk/README.md "Disk").
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { fromHex } from "../../codec/bytes.ts";
import type { ActorId, Hash } from "../../codec/ids.ts";
import { readData, resolveActor } from "../actor-call.ts";
import { signAndWait } from "../sign.ts";
import { CliError, clientFor, examples, output, run, withCommon } from "../util.ts";

interface Options {
  url: string;
  json?: boolean;
  seed?: string;
}

const bytesArg = (s: string): bigint => {
  if (!/^\d+$/.test(s))
    throw new CliError("Invalid byte count", {
      code: "CLI_BAD_AMOUNT",
      details: JSON.stringify(s),
      hint: "a decimal number of bytes",
    });
  return BigInt(s);
};

const hashArg = (s: string): `0x${string}` => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(s)) {
    throw new CliError("Invalid preimage hash", {
      code: "CLI_BAD_HEX",
      details: JSON.stringify(s),
      hint: "32 bytes of 0x hex (what `coreplay disk store` printed)",
    });
  }
  return s.toLowerCase() as `0x${string}`;
};

export function register(program: Command): void {
  const disk = program
    .command("disk")
    .description("the disk-chain: reserve disk for actors, store and read preimages");
  const signer = (c: Command) =>
    c.option("--seed <seed>", "sign with this key (default on a dev node: dev account 0)");

  const reserve = signer(
    withCommon(
      disk
        .command("reserve")
        .description("prepay disk for an actor so its store() succeeds")
        .argument("<actor>", "actor id or name")
        .argument("<bytes>", "how many bytes"),
    ),
  );
  examples(reserve, ["coreplay disk reserve 2 65536", "coreplay disk reserve ledger 1000000 --json"]);
  reserve.action(
    run(async (a: string, n: string, o: Options) => {
      const client = clientFor(o);
      const actor = (await resolveActor(client, a)) as ActorId;
      const s = await signAndWait(client, { tag: "Reserve", value: { actor, bytes: bytesArg(n) } }, o);
      output(
        o,
        { actor, bytes: n, hash: s.hash, block: s.block },
        () => `reserved ${n} bytes of disk for actor ${actor} (block ${s.block})`,
      );
    }),
  );

  const unreserve = signer(
    withCommon(
      disk
        .command("unreserve")
        .description("take back unused reservation (the actor's owner only)")
        .argument("<actor>", "actor id or name")
        .argument("<bytes>", "how many bytes"),
    ),
  );
  unreserve.action(
    run(async (a: string, n: string, o: Options) => {
      const client = clientFor(o);
      const actor = (await resolveActor(client, a)) as ActorId;
      const s = await signAndWait(client, { tag: "Unreserve", value: { actor, bytes: bytesArg(n) } }, o);
      output(
        o,
        { actor, bytes: n, hash: s.hash, block: s.block },
        () => `released ${n} reserved bytes of actor ${actor} (block ${s.block})`,
      );
    }),
  );

  const store = withCommon(
    disk
      .command("store")
      .description("store a preimage (from a dev account); prints its hash")
      .argument("<data>", "@file, - (stdin) or 0x hex"),
  );
  examples(store, ["coreplay disk store @picture.png", "echo 0x68656c6c6f | coreplay disk store -"]);
  store.action(
    run(async (d: string, o: Options) => {
      const r = await clientFor(o).disk.store(readData(d));
      output(o, r, () => `stored ${r.hash}`);
    }),
  );

  const get = withCommon(
    disk
      .command("get")
      .description("read a preimage by hash")
      .argument("<hash>", "0x hash")
      .option("-o, --output <file>", "write the bytes to a file"),
  );
  examples(get, ["coreplay disk get 0x8f…", "coreplay disk get 0x8f… -o out.bin"]);
  get.action(
    run(async (h: string, o: Options & { output?: string }) => {
      const hash = hashArg(h);
      const data = await clientFor(o).disk.get(hash);
      if (data === null) {
        throw new CliError("No such preimage", {
          code: "CLI_NO_PREIMAGE",
          details: hash,
          hint: "store it first (`coreplay disk store`), or check the hash",
        });
      }
      if (o.output) writeFileSync(o.output, fromHex(data));
      output(o, { hash, data, size: (data.length - 2) / 2 }, () =>
        o.output ? `wrote ${(data.length - 2) / 2} bytes to ${o.output}` : data,
      );
    }),
  );

  const release = signer(
    withCommon(
      disk
        .command("release")
        .description("drop your reference to a preimage; its deposit returns")
        .argument("<hash>", "0x hash"),
    ),
  );
  release.action(
    run(async (h: string, o: Options) => {
      const client = clientFor(o);
      const hash = fromHex(hashArg(h)) as Hash;
      const s = await signAndWait(client, { tag: "Release", value: { hash } }, o);
      output(o, { hash: h, block: s.block }, () => `released ${h} (block ${s.block})`);
    }),
  );
}
