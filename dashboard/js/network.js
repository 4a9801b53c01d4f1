// The network view (issue 14): every node's head, finalised block and finality lag, and who authored
// each recent block. Polls `net_v1_status` and `chain_v1_block` over HTTP JSON-RPC (plain ES module).
const params = new URLSearchParams(location.search);
const nodes = (params.get("nodes") ?? location.origin).split(",").filter((u) => u.length > 0);
const COLOURS = ["#e6007a", "#552bbf", "#0094d4", "#00a86b", "#f29135", "#8c6d3f", "#6d6d6d"];
let id = 0;

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    signal: AbortSignal.timeout(2000),
  });
  const j = await res.json();
  if (j.error) throw new Error(j.error.message);
  return j.result;
}

const cell = (text, cls) => {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
};
const short = (h) => (h ? `${h.slice(0, 10)}…` : "–");

function authorBadge(i) {
  const span = document.createElement("span");
  span.className = "author";
  span.style.background = COLOURS[i % COLOURS.length];
  span.textContent = String(i);
  return span;
}

async function refresh() {
  const statuses = await Promise.all(nodes.map((u) => rpc(u, "net_v1_status").catch(() => undefined)));
  const tbody = document.getElementById("nodes");
  tbody.replaceChildren(
    ...statuses.map((s, i) => {
      const tr = document.createElement("tr");
      if (!s) {
        tr.className = "down";
        tr.append(cell(nodes[i]), cell("down"));
        return tr;
      }
      const lag = s.head.number - s.finalized.number;
      const refused = Object.entries(s.refused)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      tr.append(
        cell(s.name),
        cell(s.role === "collator" ? "collator" : `${s.validatorIndex} of ${s.validators}`),
        cell(String(s.peers)),
        cell(`#${s.head.number}`),
        cell(`#${s.finalized.number}`),
        cell(String(lag), lag > 3 ? "lag-bad" : ""),
        cell(s.round),
        cell(short(s.head.stateRoot)),
        cell(refused || "–"),
      );
      return tr;
    }),
  );
  const live = statuses.find((s) => s);
  if (!live) return;
  const first = nodes[statuses.indexOf(live)];
  const top = live.head.number;
  const blocks = await Promise.all(
    Array.from({ length: Math.min(24, top) }, (_, k) =>
      rpc(first, "chain_v1_block", [top - k]).catch(() => undefined),
    ),
  );
  const rows = document.getElementById("blocks");
  rows.replaceChildren(
    ...blocks.filter(Boolean).map((b) => {
      const tr = document.createElement("tr");
      if (b.number <= live.finalized.number) tr.title = "final";
      const who = document.createElement("td");
      who.append(authorBadge(b.author));
      tr.append(
        cell(`#${b.number}${b.number <= live.finalized.number ? " ✓" : ""}`),
        who,
        cell(b.slot),
        cell(short(b.hash)),
        cell(short(b.stateRoot)),
        cell(String(b.extrinsics)),
        cell(povsText(b.povs)),
      );
      return tr;
    }),
  );
  // issue 15: disputes and collator misbehaviour recorded on chain
  const disputes = await rpc(first, "net_v1_disputes").catch(() => []);
  document.getElementById("disputes").replaceChildren(
    ...disputes.map((d) => {
      const tr = document.createElement("tr");
      tr.append(
        cell(`#${d.block}`),
        cell(d.kind),
        cell(short(d.pov)),
        cell(short(d.collator)),
        cell(d.valid.map(short).join(" ") || "–"),
        cell(d.invalid.map(short).join(" ")),
        cell(d.reason),
        cell(d.slashed),
      );
      return tr;
    }),
  );
}

/** Each PoV of a block: its core, the collator that built it, the validators that backed it. */
function povsText(povs) {
  if (typeof povs === "number") return String(povs);
  if (povs.length === 0) return "–";
  return povs
    .map(
      (p) =>
        `core ${p.core} [${p.actors.join("+")}] by ${short(p.collator)}; backed ${p.backers.map(short).join(" ")}`,
    )
    .join(" | ");
}

async function loop() {
  try {
    await refresh();
  } catch (e) {
    document.getElementById("net-note").textContent = `error: ${e.message}`;
  }
  setTimeout(loop, 1000);
}
loop();
