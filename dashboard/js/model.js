/**
 * The dashboard's state and the pure functions that turn RPC answers into the theatre picture
 * (spec appendix: stages = cores, backstage = idle actors, pigeonholes, archive, audience).
 * No DOM here, so it is unit-tested in Node (test/dashboard/model.test.ts).
 */

/** Blocks kept for the timeline. */
export const TIMELINE_BLOCKS = 48;

/**
 * @example
 * const m = createModel();
 * applyBlock(m, block);
 * stageView(m); // one entry per core
 */
export function createModel() {
  return {
    info: null,
    /** Last blocks, ascending by number. */
    blocks: [],
    /** ActorJson by id. */
    actors: new Map(),
    /** dashboard_v1_overview, when the node has it. */
    overview: null,
  };
}

/**
 * Adds the newest block. A block at or below the latest number with another hash means the chain was
 * reverted or restarted: the blocks from that number on are replaced.
 */
export function applyBlock(m, block) {
  const same = m.blocks.findIndex((b) => b.number === block.number);
  if (same >= 0 && m.blocks[same].hash === block.hash) {
    m.blocks[same] = block;
    return;
  }
  m.blocks = m.blocks.filter((b) => b.number < block.number);
  const prev = m.blocks[m.blocks.length - 1];
  if (prev && (prev.number !== block.number - 1 || prev.hash !== block.parentHash)) m.blocks = [];
  m.blocks.push(block);
  trim(m);
}

/** Adds older blocks (a backfill after connecting) without touching newer ones. */
export function addOlderBlocks(m, blocks) {
  const have = new Set(m.blocks.map((b) => b.number));
  const first = m.blocks[0]?.number ?? Number.POSITIVE_INFINITY;
  for (const b of blocks) if (!have.has(b.number) && b.number < first) m.blocks.push(b);
  m.blocks.sort((a, b) => a.number - b.number);
  trim(m);
}

function trim(m) {
  if (m.blocks.length > TIMELINE_BLOCKS) m.blocks.splice(0, m.blocks.length - TIMELINE_BLOCKS);
}

export function setActors(m, list) {
  m.actors = new Map(list.map((a) => [a.id, a]));
}

export const latestBlock = (m) => m.blocks[m.blocks.length - 1];

/**
 * The stages of the current timeslice: for every core, the PoV played there in the latest block (or
 * the one dropped there), its actors, collator, gas and verdict.
 */
export function stageView(m) {
  const cores = m.info?.cores ?? 0;
  const b = latestBlock(m);
  const coreGas = BigInt(m.info?.coreGas ?? "0");
  const stages = [];
  for (let core = 0; core < cores; core++) {
    const pov = b?.povs.find((p) => p.core === core) ?? b?.dropped.find((p) => p.core === core) ?? null;
    stages.push({
      core,
      pov,
      actors: pov && pov.status === "canonicalised" ? [...pov.actors] : [],
      gas: pov ? gasShare(pov.gasUsed, coreGas) : 0,
    });
  }
  return stages;
}

/** `used / budget` in [0, 1] (u64 decimal strings). */
export function gasShare(used, budget) {
  const u = BigInt(used);
  const b = BigInt(budget);
  if (b <= 0n) return 0;
  if (u >= b) return 1;
  return Number((u * 10_000n) / b) / 10_000;
}

/** Actors on no stage in the latest block, ascending: they sleep backstage. */
export function backstage(m) {
  const on = new Set(stageView(m).flatMap((s) => s.actors));
  return [...m.actors.keys()].filter((id) => !on.has(id)).sort((a, b) => a - b);
}

/** Validators that backed a PoV of the latest block. */
export function backers(m) {
  const b = latestBlock(m);
  return new Set((b ? [...b.povs, ...b.dropped] : []).flatMap((p) => p.backers));
}

/**
 * The block timeline: per block its canonicalised PoVs, the ones dropped (expired, invalid, unbacked)
 * and the ones admitted to the pool then and still pending.
 */
export function timeline(m) {
  const pool = m.overview?.pool ?? [];
  return m.blocks.map((b) => ({
    number: b.number,
    extrinsics: b.extrinsics,
    // issue 13 §4: what the block's transactions paid its author
    fees: b.fees ?? "0",
    cells: [
      ...b.povs.map((p) => ({ status: "canonicalised", pov: p })),
      ...pool.filter((p) => p.admittedAt === b.number).map((p) => ({ status: "pending", pov: p })),
      ...b.dropped.map((p) => ({ status: p.status, pov: p })),
    ],
  }));
}

/** Postcards waiting in pigeonholes, grouped by sender → recipient (`from` null: an account). */
export function postcardEdges(overview) {
  const by = new Map();
  for (const p of overview?.postcards ?? []) {
    const k = `${p.from}>${p.to}`;
    const e = by.get(k) ?? { from: p.from, to: p.to, count: 0 };
    e.count++;
    by.set(k, e);
  }
  return [...by.values()];
}

// ---- formatting ----

export const shortHash = (h) =>
  typeof h === "string" && h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h;

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "–";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "1.2M" style for gas (decimal strings, possibly beyond 2^53). */
export function formatGas(s) {
  const v = Number(BigInt(s));
  if (v < 1e3) return String(v);
  const units = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [d, u] of units) if (v >= d) return `${(v / d).toFixed(v / d < 10 ? 1 : 0)}${u}`;
  return String(v);
}

/** Big decimal string with thin grouping: 100000000000000000000 → "100 000 000 000 000 000 000". */
export const formatAmount = (s) => String(s).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");

export function bytesToHex(bytes) {
  let s = "0x";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Normalises user hex ("01 02", "0x0102", "") to `0x…`; throws on anything else. */
export function normaliseHex(input) {
  const s = String(input ?? "")
    .trim()
    .replace(/^0x/i, "")
    .replace(/[\s_]/g, "")
    .toLowerCase();
  if (!/^[0-9a-f]*$/.test(s) || s.length % 2 !== 0) {
    throw new Error(`not hex bytes: ${JSON.stringify(input)} (use e.g. 0x01ff)`);
  }
  return `0x${s}`;
}

/** A printable preview of hex bytes: the UTF-8 text if it is all printable, else null. */
export function hexText(hex) {
  const s = String(hex).replace(/^0x/, "");
  if (s.length === 0 || s.length > 512) return null;
  const bytes = new Uint8Array(s.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: printable test
  return /^[^\u0000-\u0008\u000e-\u001f\u007f]*$/.test(text) ? text : null;
}

/** Little-endian unsigned integer of up to 8 bytes (counter replies are u64 LE), or null. */
export function hexU64(hex) {
  const s = String(hex).replace(/^0x/, "");
  if (s.length === 0 || s.length > 16) return null;
  let v = 0n;
  for (let i = s.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(Number.parseInt(s.slice(i, i + 2), 16));
  return v.toString();
}

/** A stable hue per code hash, so actors running the same program share a colour. */
export function hueOf(codeHash) {
  let h = 0;
  for (const c of String(codeHash ?? "")) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 360;
}
