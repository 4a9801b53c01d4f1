/**
 * What a developer does from the dashboard: deploy a built program (code_v1_upload + actor_v1_create),
 * call / query / post to an actor, and step or auto-play blocks (dev_v1_newBlock) in manual mode.
 */
import { $, fill, h } from "./dom.js";
import { bytesToHex, hexText, hexU64, normaliseHex } from "./model.js";

export function createActions(rpc, { model, onDeployed, onPauseView }) {
  const out = $("action-out");
  let autoTimer = null;
  let paused = false;

  const manual = () => model.info?.blockTime === "manual";
  const waitHint = () => (manual() ? " (manual mode: press Step to produce the block)" : "");

  function say(kind, ...parts) {
    out.dataset.kind = kind;
    fill(out, ...parts);
  }

  const reply = (hex) => {
    const t = hexText(hex);
    const n = hexU64(hex);
    return h(
      "span",
      {},
      h("code", {}, hex),
      t ? h("em", {}, ` “${t}”`) : n !== null && hex.length === 18 ? h("em", {}, ` = ${n}`) : null,
    );
  };

  const fail = (e) => say("error", `${e.message}${e.hint ? ` — ${e.hint}` : ""}`);

  $("deploy-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("deploy-file").files?.[0];
    if (!file) return say("error", "choose a built program (.cpl from `coreplay build`)");
    let args;
    try {
      args = normaliseHex($("deploy-args").value);
    } catch (e) {
      return fail(e);
    }
    const balance = $("deploy-balance").value.trim();
    if (balance && !/^\d+$/.test(balance)) return say("error", "balance must be a whole number");
    const btn = $("deploy-btn");
    btn.disabled = true;
    try {
      const blob = bytesToHex(new Uint8Array(await file.arrayBuffer()));
      say("busy", `uploading ${file.name} (${(blob.length - 2) / 2} bytes)…${waitHint()}`);
      const { codeHash, name } = await rpc.call("code_v1_upload", [blob]);
      say("busy", `stored ${name || "program"}; creating the actor…${waitHint()}`);
      const { actor } = await rpc.call(
        "actor_v1_create",
        balance ? [codeHash, args, balance] : [codeHash, args],
      );
      say(
        "ok",
        `deployed ${name || "program"} as actor #${actor} · `,
        h("a", { href: `#/actor/${actor}` }, "open its page"),
      );
      onDeployed(actor);
    } catch (e) {
      fail(e);
    } finally {
      btn.disabled = false;
    }
  });

  function target() {
    const v = $("call-actor").value;
    if (v === "") throw new Error("no actor to call yet: deploy one first");
    return Number(v);
  }

  /**
   * The form's input: 0x hex as it is, or `method arg…` encoded by the actor's interface on the node
   * (actor_v1_encodeCall). Returns the bytes and, for a named method, its name to decode the reply with.
   */
  async function callData(id) {
    const text = $("call-data").value.trim();
    if (text === "" || /^0x/i.test(text)) return { data: normaliseHex(text), method: null };
    const [name, ...args] = text.split(/\s+/);
    const r = await rpc.call("actor_v1_encodeCall", [id, name, args]);
    return { data: r.input, method: r.method };
  }

  /** A reply read through the interface (actor_v1_decodeResult) when the call was by name. */
  async function decoded(id, method, r) {
    if (!method) return null;
    try {
      return await rpc.call("actor_v1_decodeResult", [id, method, r]);
    } catch {
      return null; // shown as hex
    }
  }

  $("call-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const id = target();
      const { data, method } = await callData(id);
      say("busy", `calling #${id} ${method ?? ""} with ${data}…${waitHint()}`);
      const r = await rpc.call("actor_v1_call", [id, data, { wait: true, timeoutMs: 120_000 }]);
      if (r.status !== "canonicalised") return say("error", `call ${r.status}`);
      const d = await decoded(id, method, r);
      if (r.ok && d?.ok) say("ok", `#${id} ${method} → ${JSON.stringify(d.value)} (block #${r.block})`);
      else if (r.ok) say("ok", `#${id} replied `, reply(r.output), ` (block #${r.block})`);
      else if (d && !d.ok) say("error", `#${id} ${method} failed (${d.error}): ${d.message}`);
      else
        say(
          "error",
          `#${id} failed: ${r.error}`,
          r.output && r.output !== "0x" ? [" ", reply(r.output)] : null,
        );
    } catch (e) {
      fail(e);
    }
  });

  $("query-btn").addEventListener("click", async () => {
    try {
      const id = target();
      const { data, method } = await callData(id);
      const r = await rpc.call("actor_v1_query", [id, data]);
      const d = await decoded(id, method, r);
      if (r.ok && d?.ok) say("ok", `query #${id} ${method} → ${JSON.stringify(d.value)} (nothing recorded)`);
      else if (r.ok) say("ok", `query #${id} → `, reply(r.output), " (nothing recorded)");
      else if (d && !d.ok) say("error", `query #${id} ${method} failed (${d.error}): ${d.message}`);
      else say("error", `query #${id} failed: ${r.error}`);
    } catch (e) {
      fail(e);
    }
  });

  $("send-btn").addEventListener("click", async () => {
    try {
      const id = target();
      const data = normaliseHex($("call-data").value);
      say("busy", `posting to #${id}…${waitHint()}`);
      const r = await rpc.call("actor_v1_send", [id, data]);
      say("ok", `postcard in #${id}'s pigeonhole (block #${r.block})`);
    } catch (e) {
      fail(e);
    }
  });

  async function step(count) {
    try {
      // The new head shows in the top bar; the output line keeps the last action's result.
      await rpc.call("dev_v1_newBlock", [{ count }]);
    } catch (e) {
      fail(e);
    }
  }
  $("btn-step").addEventListener("click", () => step(1));
  $("btn-step10").addEventListener("click", () => step(10));

  // Auto-play: in manual mode the page drives block production, one block a second.
  $("btn-auto").addEventListener("click", () => {
    if (autoTimer) {
      clearInterval(autoTimer);
      autoTimer = null;
    } else {
      let inFlight = false;
      autoTimer = setInterval(async () => {
        if (inFlight) return;
        inFlight = true;
        await step(1);
        inFlight = false;
      }, 1000);
    }
    $("btn-auto").setAttribute("aria-pressed", String(autoTimer !== null));
  });

  $("btn-pause").addEventListener("click", () => {
    paused = !paused;
    $("btn-pause").setAttribute("aria-pressed", String(paused));
    $("btn-pause").textContent = paused ? "Resume view" : "Pause view";
    onPauseView(paused);
  });

  /** Keeps the actor selector in sync with the actor list. */
  function setActors(list) {
    const sel = $("call-actor");
    const keep = sel.value;
    const sig = list.map((a) => `${a.id}:${a.name}`).join(",");
    if (sel.dataset.sig === sig) return;
    sel.dataset.sig = sig;
    fill(
      sel,
      list.map((a) => h("option", { value: a.id }, `#${a.id} ${a.name || "actor"}`)),
    );
    if (list.some((a) => String(a.id) === keep)) sel.value = keep;
  }

  function selectActor(id) {
    $("call-actor").value = String(id);
    $("call-data").focus();
  }

  return { setActors, selectActor, say };
}
