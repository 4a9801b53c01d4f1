/**
 * Draws the theatre (spec appendix): a stage per core with the actors playing there this timeslice,
 * the audience (validators), and backstage the sleeping crowd, the pigeonholes and the postcards in
 * flight. Actor chips are kept per actor and moved between containers with a FLIP animation, so an
 * actor visibly walks from backstage to its stage and back from block to block.
 */
import { $, fill, h } from "./dom.js";
import { backers, backstage, formatGas, hueOf, latestBlock, postcardEdges, stageView } from "./model.js";

const MOVE_MS = 650;
const chips = new Map();
const stageEls = new Map();
let postcardTimer;

/** The chip of one actor (created once, then updated and moved). */
function chipFor(a, onOpen) {
  let el = chips.get(a.id);
  if (!el) {
    el = h("button", { type: "button", class: "chip", "data-actor": a.id, onclick: () => onOpen(a.id) });
    chips.set(a.id, el);
  }
  const label = a.name || "actor";
  if (el.dataset.sig !== `${label}|${a.status}|${a.codeHash}|${a.engine}`) {
    el.dataset.sig = `${label}|${a.status}|${a.codeHash}|${a.engine}`;
    el.style.setProperty("--hue", String(hueOf(a.codeHash)));
    el.title = `${label} #${a.id} · ${a.engine === "riscv" ? "PVM" : "Wasm"} · main ${a.status} · open its page`;
    fill(
      el,
      h("i", { class: `chip-dot s-${a.status}` }),
      h("span", { class: "chip-name" }, label),
      h("span", { class: "chip-id" }, `#${a.id}`),
      a.engine === "riscv" ? h("span", { class: "chip-engine", title: "runs on the PVM" }, "pvm") : false,
    );
  }
  return el;
}

function stageEl(core) {
  let el = stageEls.get(core);
  if (!el) {
    el = h(
      "article",
      { class: "stage", "data-core": core },
      h(
        "header",
        { class: "stage-head" },
        h("span", { class: "stage-name" }, `Stage ${core}`),
        h("span", { class: "collator" }),
      ),
      h("div", { class: "stage-floor" }),
      h(
        "footer",
        { class: "stage-foot" },
        h("div", { class: "gas" }, h("div", { class: "gas-bar" }), h("span", { class: "gas-text" })),
        h("span", { class: "verdict" }),
      ),
    );
    stageEls.set(core, el);
  }
  return el;
}

function verdictText(pov) {
  if (!pov) return ["idle", "no play"];
  const by = pov.backers.length ? ` · ${pov.backers.length} backed` : "";
  if (pov.status === "canonicalised") return ["ok", `✓ canonicalised${by}`];
  return ["bad", `✗ ${pov.status}${pov.reason ? `: ${pov.reason}` : ""}`];
}

/**
 * Renders the whole theatre from the model.
 * @param {ReturnType<import("./model.js").createModel>} m
 * @param {(id: number) => void} onOpen opens an actor's page
 */
export function renderTheatre(m, onOpen) {
  const root = $("theatre");
  const before = new Map();
  for (const [id, el] of chips) if (el.isConnected) before.set(id, el.getBoundingClientRect());

  const b = latestBlock(m);
  $("stage-block").textContent = b ? `#${b.number}` : "–";
  const stages = stageView(m);
  const coreGas = m.info?.coreGas ?? "0";

  // Stages
  const stagesRoot = $("stages");
  const wanted = stages.map((s) => stageEl(s.core));
  if (stagesRoot.children.length !== wanted.length || wanted.some((el, i) => stagesRoot.children[i] !== el)) {
    fill(stagesRoot, wanted);
  }
  for (const s of stages) {
    const el = stageEl(s.core);
    const pov = s.pov;
    el.dataset.state = pov ? (pov.status === "canonicalised" ? "playing" : "failed") : "dark";
    const col = el.querySelector(".collator");
    col.textContent = pov && pov.collator >= 0 ? `collator ${pov.collator}` : "";
    col.style.setProperty("--hue", String((pov?.collator ?? 0) * 97 + 30));
    const floor = el.querySelector(".stage-floor");
    const actorEls = s.actors
      .map((id) => m.actors.get(id))
      .filter(Boolean)
      .map((a) => chipFor(a, onOpen));
    if (pov && pov.status !== "canonicalised") {
      actorEls.push(h("span", { class: "tried" }, `tried ${pov.actors.map((a) => `#${a}`).join(" ")}`));
    }
    if (actorEls.length === 0) actorEls.push(h("span", { class: "empty" }, pov ? "" : "dark stage"));
    fill(floor, actorEls);
    el.querySelector(".gas-bar").style.width = `${(s.gas * 100).toFixed(1)}%`;
    el.querySelector(".gas-text").textContent = pov
      ? `gas ${formatGas(pov.gasUsed)} / ${formatGas(coreGas)}`
      : `gas – / ${formatGas(coreGas)}`;
    const [kind, text] = verdictText(pov);
    const v = el.querySelector(".verdict");
    v.dataset.kind = kind;
    v.textContent = text;
    v.title = pov ? `PoV ${pov.hash} · ${pov.calls} calls · ${pov.size} bytes` : "";
  }

  // Audience: one seat per validator; those who backed a PoV of this block are lit.
  const lit = backers(m);
  const n = m.info?.validators ?? 0;
  const audience = $("audience");
  fill(
    audience,
    h("span", { class: "audience-label" }, "Audience"),
    Array.from({ length: n }, (_, i) =>
      h(
        "span",
        {
          class: `seat${lit.has(i) ? " lit" : ""}`,
          title: `validator ${i}${lit.has(i) ? " · re-executed and backed a play" : ""}`,
        },
        `V${i}`,
      ),
    ),
  );

  // Backstage crowd
  const asleep = backstage(m);
  $("sleeping-count").textContent = String(asleep.length);
  fill(
    $("crowd"),
    asleep.length
      ? asleep.map((id) => chipFor(m.actors.get(id), onOpen))
      : h("span", { class: "empty" }, "nobody backstage"),
  );
  for (const [id, el] of chips) {
    if (!m.actors.has(id)) {
      el.remove();
      chips.delete(id);
    }
  }
  for (const [id, el] of chips) el.classList.toggle("asleep", asleep.includes(id));

  // Pigeonholes: one per actor, with the postcards waiting in it.
  let waiting = 0;
  const holes = [...m.actors.values()].map((a) => {
    waiting += a.mailbox;
    return h(
      "div",
      { class: `hole${a.mailbox > 0 ? " full" : ""}`, "data-hole": a.id, title: `pigeonhole of #${a.id}` },
      h("span", { class: "hole-id" }, `#${a.id}`),
      h("span", { class: "hole-count" }, a.mailbox > 0 ? `✉ ${a.mailbox}` : "·"),
    );
  });
  $("postcard-count").textContent = String(waiting);
  fill(
    $("pigeonholes"),
    h("div", { class: "hole slot", "data-hole": "accounts", title: "postcards from accounts" }, "✉ in"),
    holes,
  );

  // FLIP: every chip that moved animates from where it was.
  for (const [id, el] of chips) {
    const was = before.get(id);
    const now = el.getBoundingClientRect();
    if (!was) {
      el.animate(
        [
          { opacity: 0, transform: "scale(0.6)" },
          { opacity: 1, transform: "none" },
        ],
        {
          duration: MOVE_MS,
          easing: "ease-out",
        },
      );
      continue;
    }
    const dx = was.left - now.left;
    const dy = was.top - now.top;
    if (Math.abs(dx) < 1 && Math.abs(dy) < 1) continue;
    el.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: "none" }], {
      duration: MOVE_MS,
      easing: "cubic-bezier(.2,.7,.2,1)",
    });
  }
  root.dataset.block = b ? String(b.number) : "";
  clearTimeout(postcardTimer);
  drawPostcards(m);
  postcardTimer = setTimeout(() => drawPostcards(m), MOVE_MS + 30);
}

/** Postcards in flight: curves from the sender to the recipient's pigeonhole. */
export function drawPostcards(m) {
  const svg = $("postcards");
  const root = $("theatre").getBoundingClientRect();
  const edges = postcardEdges(m.overview);
  const center = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left + r.width / 2 - root.left, r.top + r.height / 2 - root.top];
  };
  svg.setAttribute("viewBox", `0 0 ${root.width} ${root.height}`);
  const paths = [];
  for (const [i, e] of edges.entries()) {
    const fromEl = e.from === null ? document.querySelector('[data-hole="accounts"]') : chips.get(e.from);
    const toEl = document.querySelector(`[data-hole="${e.to}"]`);
    if (!fromEl?.isConnected || !toEl) continue;
    const [x1, y1] = center(fromEl);
    const [x2, y2] = center(toEl);
    const lift = Math.min(70, 24 + Math.abs(x2 - x1) / 5);
    const d = `M${x1},${y1} C${x1},${y1 - lift} ${x2},${y2 - lift} ${x2},${y2}`;
    const id = `pc-${i}`;
    paths.push(
      h("svg:path", { id, d, class: "postcard-path" }),
      h(
        "svg:g",
        { class: "postcard" },
        h("svg:rect", { x: -7, y: -5, width: 14, height: 10, rx: 1.5 }),
        h("svg:path", { d: "M-7,-5 L0,1 L7,-5", class: "flap" }),
        h(
          "svg:animateMotion",
          { dur: `${2 + (i % 3) * 0.4}s`, repeatCount: "indefinite", rotate: "0" },
          h("svg:mpath", { href: `#${id}` }),
        ),
      ),
    );
  }
  fill(svg, paths);
}
