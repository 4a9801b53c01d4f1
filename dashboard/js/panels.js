/** The block timeline and the archive (disk use per actor, preimages stored). */
import { $, fill, h } from "./dom.js";
import { formatBytes, formatGas, shortHash, timeline } from "./model.js";

const PAGE_BYTES = 65536;

export function renderTimeline(m, onOpen) {
  const cols = timeline(m).map((b) =>
    h(
      "div",
      {
        class: "tl-block",
        "data-block": b.number,
        title: `block #${b.number} · ${b.extrinsics} txs · fees ${b.fees} to the author`,
      },
      h(
        "div",
        { class: "tl-cells" },
        b.cells.map((c) =>
          h("span", {
            class: `sq ${c.status === "canonicalised" || c.status === "pending" ? c.status : "expired"}`,
            title: `${c.status} · core ${c.pov.core} · actors ${c.pov.actors.map((a) => `#${a}`).join(" ")}${
              c.pov.gasUsed ? ` · gas ${formatGas(c.pov.gasUsed)}` : ""
            }${c.pov.payout ? ` · payout ${c.pov.payout} to collator ${c.pov.collator}` : ""}${c.pov.reason ? ` · ${c.pov.reason}` : ""}`,
            onclick: () => c.pov.actors.length && onOpen(c.pov.actors[0]),
          }),
        ),
      ),
      h("span", { class: "tl-num" }, `${b.number}`),
    ),
  );
  const el = $("timeline");
  const atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - 8;
  fill(el, cols.length ? cols : h("span", { class: "empty" }, "no blocks yet"));
  if (atEnd) el.scrollLeft = el.scrollWidth;
}

export function renderArchive(m, onOpen) {
  const extras = new Map((m.overview?.actors ?? []).map((a) => [a.id, a]));
  const rows = [...m.actors.values()].map((a) => {
    const x = extras.get(a.id);
    const used = x?.diskUsed ?? 0;
    const reserved = x?.diskReserved ?? 0;
    const share = reserved > 0 ? Math.min(1, used / reserved) : used > 0 ? 1 : 0;
    return h(
      "tr",
      { "data-actor-row": a.id },
      h(
        "td",
        {},
        h("a", { href: `#/actor/${a.id}`, onclick: () => onOpen(a.id) }, `${a.name || "actor"} #${a.id}`),
      ),
      h("td", {}, x ? `${x.pages} p · ${formatBytes(x.pages * PAGE_BYTES)}` : "–"),
      h(
        "td",
        {},
        h("div", { class: "disk" }, h("div", { class: "disk-bar", style: { width: `${share * 100}%` } })),
        h("small", {}, x ? `${formatBytes(used)}${reserved ? ` / ${formatBytes(reserved)}` : ""}` : "–"),
      ),
      h("td", {}, x ? String(x.preimages) : "–"),
    );
  });
  fill(
    $("archive-rows"),
    rows.length ? rows : h("tr", {}, h("td", { colspan: 4, class: "empty" }, "no actors yet")),
  );
  const disk = m.overview?.disk;
  $("archive-total").textContent = disk ? `${disk.items} preimages · ${formatBytes(disk.bytes)}` : "";
  fill(
    $("preimage-list"),
    (m.overview?.preimages ?? []).map((p) =>
      h(
        "li",
        {},
        h("code", { title: p.hash }, shortHash(p.hash)),
        ` ${formatBytes(p.size)} · ${p.refs} refs`,
      ),
    ),
  );
}
