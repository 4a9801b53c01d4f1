/** `coreplay interface <actor|program>`: the methods an actor declares, from the node or a program file. */
import type { Command } from "commander";
import { type ActorInterface, signature, typeText } from "../../iface/index.ts";
import { fetchInterface } from "../../rpc/actor-binding.ts";
import { resolveActor } from "../actor-call.ts";
import { loadInterfaceFile } from "../program-file.ts";
import { CliError, clientFor, examples, output, run, withCommon } from "../util.ts";

export const describeInterface = (i: ActorInterface): string =>
  [
    ...Object.entries(i.types).map(([n, d]) =>
      "struct" in d
        ? `struct ${n} { ${d.struct.map((f) => `${f.name}: ${typeText(f.type)}`).join(", ")} }`
        : `enum ${n} { ${d.enum.map((v) => (v.type === undefined ? v.name : `${v.name}(${typeText(v.type)})`)).join(", ")} }`,
    ),
    ...i.methods.map((m) => `0x${m.id.toString(16).padStart(2, "0")}  ${signature(m)}`),
  ].join("\n");

export function register(program: Command): void {
  const cmd = program
    .command("interface")
    .description("show an actor's interface: its methods with typed arguments and results")
    .argument("<actor>", "an actor id or name on the node, or a program file/folder (.cpl or source)");
  withCommon(cmd);
  examples(cmd, ["coreplay interface counter", "coreplay interface examples/ledger --json"]);
  cmd.action(
    run(async (a: string, o: { url: string; json?: boolean }) => {
      const local = await loadInterfaceFile(a);
      const iface = local
        ? local.interface
        : await fetchInterface(clientFor(o), await resolveActor(clientFor(o), a));
      if (!iface) {
        throw new CliError(`${a} declares no interface`, {
          code: "CLI_NO_INTERFACE",
          hint: 'declare methods in the source: `new Methods().on(0x01, add, "add(n: u64) -> u64")` (sdk/README.md)',
        });
      }
      output(o, iface, () => describeInterface(iface));
    }),
  );
}
