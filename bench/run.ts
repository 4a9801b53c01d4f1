/**
 * `npm run bench [-- --json] [-- --only <area>,…]`: discovers every `bench/<area>.ts` module (its default
 * export is a `Bench`, see bench/lib.ts and bench/README.md), runs them in name order and prints one
 * table of figures against their targets. With `--json`, the LAST line printed is one JSON object mapping
 * each figure's name to its value.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Bench, Figure } from "./lib.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const json = args.includes("--json");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1]?.split(",")) : undefined;

const areas = readdirSync(here)
  .filter(
    (f) =>
      f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "run.ts" && f !== "lib.ts" && !f.includes(".tmp"),
  )
  .map((f) => f.slice(0, -3))
  .filter((a) => only === undefined || only.has(a))
  .sort();

function verdict(f: Figure): string {
  const t = f.target;
  if (t === undefined) return "";
  const okMax = t.max === undefined || f.value <= t.max;
  const okMin = t.min === undefined || f.value >= t.min;
  const goal = [t.max !== undefined ? `≤ ${t.max}` : "", t.min !== undefined ? `≥ ${t.min}` : ""].join("");
  const stretch = t.stretch !== undefined ? ` (stretch ${t.max !== undefined ? "≤" : "≥"} ${t.stretch})` : "";
  return `${okMax && okMin ? "ok  " : "MISS"} target ${goal}${stretch}`;
}

const figures: Figure[] = [];
let failed = false;
for (const area of areas) {
  const mod = (await import(new URL(`./${area}.ts`, import.meta.url).href)) as { default?: Bench };
  if (typeof mod.default !== "function") continue;
  const t0 = performance.now();
  try {
    const out = await mod.default();
    figures.push(...out);
    console.log(`# ${area}: ${out.length} figures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failed = true;
    console.error(`# ${area}: FAILED: ${(e as Error).stack ?? e}`);
  }
}

const rows = figures.map((f) => [f.name, String(f.value), f.unit, verdict(f), f.note ?? ""]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
console.log("");
for (const r of rows) {
  console.log(
    `${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])} ${r[2].padEnd(widths[2])}  ${r[3].padEnd(widths[3])}  ${r[4]}`,
  );
}
if (json) console.log(JSON.stringify(Object.fromEntries(figures.map((f) => [f.name, f.value]))));
if (failed) process.exitCode = 1;
