/**
 * The bench framework's shared types and helpers. A bench module is a file `bench/<area>.ts` whose
 * default export is a {@link Bench}; `bench/run.ts` discovers and runs them all (see bench/README.md).
 */

/** One named figure, e.g. `{ name: "engine.instrumented_over_plain", value: 1.18, unit: "×" }`. */
export interface Figure {
  /** Stable dotted name `<area>.<what>`; it is the key in `npm run bench -- --json`. */
  name: string;
  value: number;
  unit: string;
  /** What "good" means, shown in the table and checked (`max`: value ≤ max; `min`: value ≥ min). */
  target?: { max?: number; min?: number; stretch?: number };
  note?: string;
}

/** A bench module's default export: runs its measurements and returns figures. */
export type Bench = () => Promise<Figure[]> | Figure[];

/** Milliseconds taken by `fn` (wall clock, high resolution). */
export function timeMs(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `a` and `b` alternately `runs` times after two warm-ups each (so machine noise hits both alike)
 * and returns the median time of each in milliseconds.
 */
export function sideBySide(a: () => unknown, b: () => unknown, runs = 5): { a: number; b: number } {
  for (let i = 0; i < 2; i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    ta.push(timeMs(a));
    tb.push(timeMs(b));
  }
  return { a: median(ta), b: median(tb) };
}

/** Rounds for display and JSON: 3 significant decimals. */
export const round = (x: number) => Math.round(x * 1000) / 1000;
