/**
 * The actor page (a drawer, route `#/actor/<id>`): code hash, state hash, sequence, balance, memory
 * pages, disk, its logs and its recent calls and replies, refreshed at every block while open.
 */
import { $, fill, h } from "./dom.js";
import { formatAmount, formatBytes, hexText, hexU64, shortHash } from "./model.js";

const PAGE_BYTES = 65536;

export function createActorPage(rpc, { onCall }) {
  let current = null;
  let busy = false;
  let again = false;

  const drawer = $("actor-page");
  $("actor-close").addEventListener("click", () => close());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && current !== null) close();
  });

  function open(id) {
    current = id;
    drawer.hidden = false;
    if (location.hash !== `#/actor/${id}`) history.replaceState(null, "", `#/actor/${id}`);
    $("actor-title").textContent = `Actor #${id}`;
    fill($("actor-body"), h("p", { class: "empty" }, "loading…"));
    void refresh();
  }

  function close() {
    current = null;
    drawer.hidden = true;
    if (location.hash.startsWith("#/actor/")) history.replaceState(null, "", "#/");
  }

  async function refresh() {
    if (current === null) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    const id = current;
    try {
      const [a, logs, x] = await Promise.all([
        rpc.call("actor_v1_state", [id]),
        rpc.call("actor_v1_logs", [id, { limit: 40 }]),
        rpc.call("dashboard_v1_actor", [id]).catch(() => null),
      ]);
      if (id === current) render(a, logs, x);
    } catch (e) {
      if (id === current) fill($("actor-body"), h("p", { class: "error" }, e.message));
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }

  function render(a, logs, x) {
    $("actor-title").textContent = `${a.name || "actor"} #${a.id}`;
    const row = (k, v, title) => h("div", { class: "kv" }, h("dt", {}, k), h("dd", { title }, v));
    const facts = h(
      "dl",
      { class: "facts" },
      row("main", h("span", { class: `badge s-${a.status}` }, a.status)),
      row("engine", a.engine === "riscv" ? "PVM (RISC-V)" : a.engine === "wasm" ? "Wasm" : "–"),
      row("code hash", h("code", {}, shortHash(a.codeHash)), a.codeHash),
      row("state hash", h("code", { class: "state-hash" }, shortHash(a.stateHash)), a.stateHash),
      row("sequence", h("span", { class: "sequence" }, a.sequence)),
      row("balance", formatAmount(a.balance)),
      row("memory", x ? `${x.pages} pages · ${formatBytes(x.pages * PAGE_BYTES)}` : "–"),
      row("disk", x ? `${formatBytes(x.diskUsed)} used / ${formatBytes(x.diskReserved)} reserved` : "–"),
      row("preimages", x ? String(x.preimages) : "–"),
      row("pigeonhole", `${a.mailbox} postcards`),
      row("queued calls", String(a.queuedCalls)),
      row("owner", h("code", {}, shortHash(a.owner ?? "–")), a.owner ?? ""),
    );
    const bytesCell = (hex) => {
      const t = hexText(hex);
      const n = hexU64(hex);
      return h(
        "span",
        { class: "bytes" },
        h("code", {}, hex.length > 42 ? `${hex.slice(0, 42)}…` : hex),
        t ? h("em", {}, ` “${t}”`) : n !== null && hex.length === 18 ? h("em", {}, ` = ${n}`) : null,
      );
    };
    const calls = x?.calls ?? [];
    const callList = calls.length
      ? h(
          "table",
          { class: "calls" },
          h("thead", {}, h("tr", {}, h("th", {}, "block"), h("th", {}, "input"), h("th", {}, "reply"))),
          h(
            "tbody",
            {},
            calls.map((c) =>
              h(
                "tr",
                { class: c.ok ? "ok" : "err" },
                h("td", {}, `#${c.block}`),
                h("td", {}, bytesCell(c.input)),
                h(
                  "td",
                  {},
                  c.ok
                    ? bytesCell(c.output)
                    : h("span", { class: "err" }, `${c.error} `, bytesCell(c.output)),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "empty" }, "no calls in recent blocks");
    const queued = (x?.queued ?? []).map((q) =>
      h("li", {}, bytesCell(q.input), h("small", {}, ` queued at #${q.queuedAt}`)),
    );
    const cards = (x?.postcards ?? []).map((p) =>
      h("li", {}, p.from === null ? "from an account " : `from #${p.from} `, bytesCell(p.data)),
    );
    const logList = logs.length
      ? h(
          "ol",
          { class: "logs" },
          logs
            .slice()
            .reverse()
            .map((l) => h("li", {}, h("small", {}, `#${l.block}`), ` ${l.line}`)),
        )
      : h("p", { class: "empty" }, "no log lines");
    fill(
      $("actor-body"),
      facts,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", onclick: () => onCall(a.id) }, "Call this actor…"),
      ),
      h("h3", {}, "Recent calls and replies"),
      callList,
      queued.length ? [h("h3", {}, "Queued calls"), h("ul", { class: "plain" }, queued)] : null,
      cards.length ? [h("h3", {}, "Postcards waiting"), h("ul", { class: "plain" }, cards)] : null,
      h("h3", {}, "Logs"),
      logList,
    );
  }

  return {
    open,
    close,
    refresh,
    get current() {
      return current;
    },
  };
}
