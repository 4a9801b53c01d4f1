/** Method names for a trace's inputs, through each actor's interface (metadata JSON by actor). */
import { interfaceFromJson } from "../iface/index.ts";

export function methodName(
  interfaces: Map<number, string>,
): (actor: number, input: string) => string | undefined {
  return (actor, input) => {
    const iface = interfaceFromJson(interfaces.get(actor) ?? "");
    const m = iface?.methods.find((x) => x.id === Number.parseInt(input.slice(2, 4), 16));
    return m ? `${m.name} ${input}` : undefined;
  };
}
