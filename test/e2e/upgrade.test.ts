/**
 * End to end (issue 12 §4): `examples/upgradable` on a real `coreplay dev` child process, driven through
 * the CLI: v1 counts, upgrades itself to v2 (uploaded beside it), v2 keeps the count and adds `add`;
 * after a SIGKILL and a restart the actor is still on v2 with its count.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../../examples/build-example.ts";
import { type ChildNode, childNode, out } from "./child-node.ts";

const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b.toString("hex");
};

let node: ChildNode;
const cli = <T = Record<string, unknown>>(...args: string[]) => node.cli<T>(...args);
const call = (actor: number, data: string) => node.call(actor, data);
const files: Record<string, string> = {};

type Actor = { codeHash: string; status: string; lastUpgrade?: { ok: boolean; from: string; to: string } };

beforeAll(async () => {
  node = await childNode({ prefix: "cp-setcode-e2e-" });
  await Promise.all([
    node.start(),
    ...Object.entries({ v1: "upgradable", v2: "upgradable/assembly/upgradable-v2.ts" }).map(
      async ([n, p]) => {
        files[n] = join(node.dataDir, `${n}.cpl`);
        writeFileSync(files[n] as string, (await buildExample(p)).blob);
      },
    ),
  ]);
}, 240_000);

afterAll(() => {
  node?.close();
});

describe("upgradable on coreplay dev (child process, CLI, SIGKILL + restart)", () => {
  it("v1 counts and upgrades itself to v2; the count survives the upgrade and a SIGKILL", async () => {
    const a = await cli<{ actor: number; codeHash: string }>("deploy", files.v1 as string);
    // deploying v2 uploads it (and makes a v2 actor of its own, unused here)
    const v2 = await cli<{ actor: number; codeHash: string }>("deploy", files.v2 as string);
    expect(v2.codeHash).not.toBe(a.codeHash);
    for (let i = 1n; i <= 3n; i++) {
      const r = await call(a.actor, "0x01");
      expect(r.ok).toBe(true);
      expect(out(r.output).readBigUInt64LE(0)).toBe(i);
    }
    expect((await call(a.actor, "0x04")).output).toBe("0x01");
    // upgrade(v2): set_code accepted (0); it takes effect when this call's PoV is canonicalised
    expect(await call(a.actor, `0x02${v2.codeHash.slice(2)}`)).toMatchObject({
      ok: true,
      output: "0x00000000",
    });
    const after = await cli<Actor>("actor", String(a.actor));
    expect(after.codeHash).toBe(v2.codeHash);
    expect(after.lastUpgrade).toMatchObject({ ok: true, from: a.codeHash, to: v2.codeHash });
    expect((await call(a.actor, "0x04")).output).toBe("0x02");
    expect(out((await call(a.actor, "0x00")).output).readBigUInt64LE(0)).toBe(3n);
    expect(out((await call(a.actor, `0x03${u64(4n)}`)).output).readBigUInt64LE(0)).toBe(7n);

    await node.kill();
    await expect(cli("actor", String(a.actor))).rejects.toThrow(); // really gone
    await node.start();

    const back = await cli<Actor>("actor", String(a.actor));
    expect(back.codeHash).toBe(v2.codeHash);
    expect(back.lastUpgrade).toMatchObject({ ok: true, to: v2.codeHash });
    expect(out((await call(a.actor, "0x00")).output).readBigUInt64LE(0)).toBe(7n);
    expect(out((await call(a.actor, "0x01")).output).readBigUInt64LE(0)).toBe(8n);
    expect((await call(a.actor, "0x05")).output).toBe("0x01000000"); // reached by set_code
  }, 400_000);
});
