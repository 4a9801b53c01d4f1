/**
 * The dashboard's entry point: connects to the node that serves it (or `?rpc=ws://host:port`), follows
 * the chain and redraws the theatre at most a few times a second.
 */
import { createActions } from "./actions.js";
import { createActorPage } from "./actor-page.js";
import { $ } from "./dom.js";
import { addOlderBlocks, applyBlock, createModel, setActors, TIMELINE_BLOCKS } from "./model.js";
import { renderArchive, renderTimeline } from "./panels.js";
import { createRpc } from "./rpc.js";
import { drawPostcards, renderTheatre } from "./theatre.js";

const MIN_RENDER_MS = 200;

const params = new URLSearchParams(location.search);
const wsUrl = params.get("rpc") ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;

const model = createModel();
let paused = false;
let hasOverview = true;

const rpc = createRpc(wsUrl, {
  onStatus(s) {
    $("conn-dot").dataset.state = s;
    $("conn-text").textContent = s === "open" ? "live" : s === "closed" ? "reconnecting…" : "connecting…";
    document.body.dataset.conn = s;
  },
  onOpen: () => void load(),
});

const openActor = (id) => actorPage.open(id);
const actorPage = createActorPage(rpc, { onCall: (id) => actions.selectActor(id) });
const actions = createActions(rpc, {
  model,
  onDeployed: () => void refreshState(),
  onPauseView(p) {
    paused = p;
    if (!p) scheduleRender();
  },
});

// ---- data ----

async function load() {
  try {
    const [info, head] = await Promise.all([rpc.call("node_v1_info"), rpc.call("chain_v1_head")]);
    model.info = info;
    $("mode").textContent =
      typeof info.blockTime === "number" ? `block every ${info.blockTime} ms` : `${info.blockTime} blocks`;
    document.body.dataset.mode = typeof info.blockTime === "number" ? "interval" : info.blockTime;
    applyBlock(model, head);
    await refreshState();
    scheduleRender();
    const from = Math.max(1, head.number - TIMELINE_BLOCKS + 1);
    const older = await Promise.all(
      Array.from({ length: head.number - from }, (_, i) =>
        rpc.call("chain_v1_block", [from + i]).catch(() => null),
      ),
    );
    addOlderBlocks(
      model,
      older.filter((b) => b !== null),
    );
    scheduleRender();
  } catch {
    // the connection dropped while loading: onOpen runs load again
  }
}

let refreshing = false;
let refreshAgain = false;
/** Actor list and the dashboard overview, coalesced: at most one request pair in flight. */
async function refreshState() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    const [list, overview] = await Promise.all([
      rpc.call("actor_v1_list"),
      hasOverview
        ? rpc.call("dashboard_v1_overview").catch((e) => {
            if (e.code === "METHOD_NOT_FOUND") hasOverview = false;
            return null;
          })
        : null,
    ]);
    setActors(model, list);
    model.overview = overview;
    actions.setActors(list);
    scheduleRender();
  } catch {
    // reconnecting
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      void refreshState();
    }
  }
}

rpc.subscribe("chain_v1_follow", [], (ev) => {
  if (ev.event !== "newBlock") return;
  applyBlock(model, ev.block);
  $("head-number").textContent = `#${ev.block.number}`;
  void refreshState();
  if (actorPage.current !== null) void actorPage.refresh();
});

// ---- drawing ----

let lastRender = 0;
let renderTimer = null;
function scheduleRender() {
  if (renderTimer !== null) return;
  const wait = Math.max(0, lastRender + MIN_RENDER_MS - performance.now());
  renderTimer = setTimeout(() => {
    renderTimer = null;
    requestAnimationFrame(render);
  }, wait);
}

function render() {
  if (paused) return;
  lastRender = performance.now();
  const b = model.blocks[model.blocks.length - 1];
  $("head-number").textContent = b ? `#${b.number}` : "–";
  renderTheatre(model, openActor);
  renderTimeline(model, openActor);
  renderArchive(model, openActor);
  document.body.dataset.ready = "true";
}

// The actor page sits below the top bar, whose height depends on the screen width.
function measureTopbar() {
  const h = document.querySelector(".topbar")?.getBoundingClientRect().height ?? 60;
  document.documentElement.style.setProperty("--topbar-h", `${Math.ceil(h)}px`);
}
measureTopbar();
window.addEventListener("resize", () => {
  measureTopbar();
  drawPostcards(model);
});

// ---- routing: #/actor/<id> ----

function route() {
  const m = /^#\/actor\/(\d+)$/.exec(location.hash);
  if (m) actorPage.open(Number(m[1]));
  else if (actorPage.current !== null) actorPage.close();
}
window.addEventListener("hashchange", route);
route();
