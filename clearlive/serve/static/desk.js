// The reviewers' desk: the live connection and its state, decisions by button or key, errors shown
// where the action was. No framework; the server renders every incident.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("desk-messages").textContent);
  const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));

  // ---- live connection --------------------------------------------------------------------
  const conn = document.getElementById("conn");
  const reconnectButton = document.getElementById("reconnect");
  const streamUrl = document.body.dataset.stream;
  const rows = document.getElementById("alert-rows");
  const roomTitle = document.getElementById("room-title");
  const newNote = document.getElementById("new-findings");
  let source = null;
  let lastId = null;
  let fresh = 0;

  function setState(state) {
    if (!conn) return;
    conn.dataset.state = state;
    conn.textContent = T[state];
    if (reconnectButton) reconnectButton.hidden = state === "live" || state === "connecting";
  }

  function connect() {
    if (!streamUrl) { if (conn) conn.hidden = true; return; }
    if (source) source.close();
    let url = streamUrl;
    if (lastId !== null) url = url.replace(/after=\d+/, "after=" + lastId);
    setState("connecting");
    source = new EventSource(url);
    source.onopen = () => setState("live");
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    source.addEventListener("finding", (e) => {
      lastId = e.lastEventId || lastId;
      setState("live");
      const tmp = document.createElement("tbody");
      tmp.innerHTML = e.data;
      const row = tmp.querySelector("tr");
      if (!row || (roomTitle && row.dataset.room !== roomTitle.dataset.room)) return; // a room page: its own only
      if (rows) {
        rows.prepend(row);
        const section = rows.closest("section[hidden]");
        if (section) section.hidden = false;
        return;
      }
      fresh += 1;
      if (newNote) {
        newNote.textContent = fmt(T.new_findings, { n: fresh }) + " · ";
        const a = document.createElement("a");
        a.href = location.pathname + location.search;
        a.textContent = T.reload;
        newNote.appendChild(a);
      }
    });
  }
  if (reconnectButton) reconnectButton.addEventListener("click", connect);
  window.addEventListener("online", connect);
  connect();

  // ---- incidents and decisions ------------------------------------------------------------
  const list = document.getElementById("incidents");
  const incidents = () => Array.from(document.querySelectorAll(".incident"));
  let current = null;
  let lastAction = null; // {ids: [...]} of the last decision made on this page, for undo

  function focusIncident(el, scroll = true) {
    if (!el) return;
    if (current) current.classList.remove("current");
    current = el;
    el.classList.add("current");
    el.focus({ preventScroll: true });
    if (scroll) el.scrollIntoView({ block: "nearest" });
  }

  function say(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.className = "msg " + (kind || "");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    let response;
    try {
      const csrf = document.querySelector('meta[name="csrf-token"]');
      const headers = csrf ? { "X-CSRF-Token": csrf.content } : {};
      response = await fetch(url, { method: "POST", body, headers, credentials: "same-origin" });
    } catch (err) {
      return { error: T.unreachable };
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : response.status + " " + response.statusText;
      return { error: T.failed + " " + detail };
    }
    return { data };
  }

  function replaceIncidents(html) {
    let first = null;
    for (const [id, fragment] of Object.entries(html)) {
      const old = document.getElementById(id);
      if (!old) continue;
      const tmp = document.createElement("ol");
      tmp.innerHTML = fragment.trim();
      const el = tmp.firstElementChild;
      el.querySelector(".pick").checked = old.querySelector(".pick").checked; // a selection outlives a redraw
      old.replaceWith(el);
      if (old === current) { current = el; el.classList.add("current"); }
      first = first || el;
    }
    return first;
  }

  function targets(el) {
    const picked = incidents().filter((i) => i.querySelector(".pick").checked);
    if (picked.length && (!el || picked.includes(el))) return picked;
    return el ? [el] : [];
  }

  async function act(kind, els, reason, msgEl, assignee) {
    if (!els.length) { say(document.getElementById("bulk-msg"), T.nothing_selected, "error"); return; }
    const ids = els.flatMap((el) => el.dataset.ids.split(" "));
    const where = msgEl || (els.length > 1 ? document.getElementById("bulk-msg") : els[0].querySelector(".msg"));
    say(where, T.saving);
    let url = "/desk/decide";
    const fields = { ids: ids.join(" ") };
    if (kind === "undo") url = "/desk/undo";
    else if (kind === "assign") url = "/desk/assign";
    else { fields.decision = kind; fields.reason = reason || ""; }
    if (kind === "assign") fields.assignee = assignee === undefined ? document.body.dataset.me || "" : assignee;
    const { data, error } = await post(url, fields);
    if (error) { say(where, error, "error"); return; }
    const replaced = replaceIncidents(data.incidents);
    let text;
    if (kind === "undo") text = fmt(T.undone, { n: data.changed });
    else if (kind === "assign") text = fmt(T.assigned, { n: ids.length });
    else text = fmt(T.done, { n: data.changed, status: T[{ confirm: "confirmed", dismiss: "dismissed", escalate: "escalated" }[kind]] });
    if (kind !== "assign") lastAction = kind === "undo" ? null : { ids: els.map((el) => el.id) };
    const msg = msgEl && msgEl.isConnected ? msgEl : els.length > 1 ? document.getElementById("bulk-msg") : (document.getElementById(els[0].id) || replaced).querySelector(".msg");
    say(msg, text, "ok");
    if (kind !== "assign") incidents().forEach((i) => { i.querySelector(".pick").checked = false; });
    updateSelected();
    if (els.length === 1 && kind !== "undo" && kind !== "assign") {
      const el = document.getElementById(els[0].id);
      const next = el && el.nextElementSibling;
      if (next && next.classList.contains("incident")) focusIncident(next); else if (el) focusIncident(el);
    }
  }

  function openDismiss(el) {
    const form = el.querySelector(".reason-form");
    const button = el.querySelector("[data-act=dismiss]");
    form.hidden = false;
    button.setAttribute("aria-expanded", "true");
    form.querySelector("input").focus();
  }

  function closeDismiss(el) {
    const form = el.querySelector(".reason-form");
    form.hidden = true;
    el.querySelector("[data-act=dismiss]").setAttribute("aria-expanded", "false");
    focusIncident(el);
  }

  let bulkDismiss = null; // the incidents a dismissal from the bulk bar applies to

  document.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-act], button[data-bulk]");
    if (!button) {
      const inc = e.target.closest(".incident");
      if (inc && !e.target.closest("a, input, summary, button")) focusIncident(inc);
      return;
    }
    const inc = button.closest(".incident");
    if (inc) focusIncident(inc);
    const kind = button.dataset.act || button.dataset.bulk;
    if (button.dataset.bulk) {
      const picked = targets(null);
      if (kind === "dismiss") {
        if (!picked.length) { say(document.getElementById("bulk-msg"), T.nothing_selected, "error"); return; }
        bulkDismiss = picked;
        openDismiss(picked[0]);
        return;
      }
      const bulkMsg = document.getElementById("bulk-msg");
      if (kind === "assign-to") {
        act("assign", picked, null, bulkMsg, document.getElementById("assign-to").value.trim());
        return;
      }
      act(kind, picked, null, bulkMsg);
      return;
    }
    if (kind === "dismiss") { bulkDismiss = null; openDismiss(inc); return; }
    if (kind === "cancel") { closeDismiss(inc); return; }
    if (kind === "undo") { act("undo", [inc]); return; }
    act(kind, kind === "assign" ? targets(inc) : [inc]);
  });

  // The reason form: Enter there dismisses (its only submit button); nothing else submits on Enter.
  document.addEventListener("submit", (e) => {
    const form = e.target.closest(".reason-form");
    if (!form) return;
    e.preventDefault();
    const inc = form.closest(".incident");
    const els = bulkDismiss && bulkDismiss.includes(inc) ? bulkDismiss : [inc];
    act("dismiss", els, form.querySelector("input").value, inc.querySelector(".msg"));
  });

  // ---- bulk selection ---------------------------------------------------------------------
  const selectAll = document.getElementById("select-all");
  const selectedCount = document.getElementById("selected-count");
  function updateSelected() {
    if (!selectedCount) return;
    const n = incidents().filter((i) => i.querySelector(".pick").checked).length;
    selectedCount.textContent = n ? String(n) + " ✓" : "";
  }
  if (selectAll) selectAll.addEventListener("change", () => {
    incidents().forEach((i) => { i.querySelector(".pick").checked = selectAll.checked; });
    updateSelected();
  });
  document.addEventListener("change", (e) => { if (e.target.classList.contains("pick")) updateSelected(); });

  // ---- keyboard ---------------------------------------------------------------------------
  const help = document.getElementById("shortcuts");
  const helpOpen = document.getElementById("help-open");
  if (helpOpen && help) helpOpen.addEventListener("click", () => help.showModal());

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (e.key === "Enter" && t.closest && t.closest("#filters select")) { // Enter in the filters applies them
      e.preventDefault();
      t.form.requestSubmit();
      return;
    }
    if (t.closest && t.closest("input, select, textarea, [contenteditable]")) {
      if (e.key === "Escape" && t.closest(".reason-form")) { e.preventDefault(); closeDismiss(t.closest(".incident")); }
      return;
    }
    if (help && help.open) return;
    const all = incidents();
    const i = current ? all.indexOf(current) : -1;
    switch (e.key) {
      case "?": help && help.showModal(); break;
      case "j": focusIncident(all[Math.min(i + 1, all.length - 1)]); break;
      case "k": focusIncident(all[Math.max(i - 1, 0)]); break;
      case "c": if (current) act("confirm", targets(current)); break;
      case "e": if (current) act("escalate", targets(current)); break;
      case "d":
        if (!current) break;
        bulkDismiss = targets(current).length > 1 ? targets(current) : null;
        openDismiss(current);
        break;
      case "u": {
        const els = lastAction ? lastAction.ids.map((id) => document.getElementById(id)).filter(Boolean) : (current ? [current] : []);
        if (els.length) act("undo", els);
        break;
      }
      case "x": if (current) { const box = current.querySelector(".pick"); box.checked = !box.checked; updateSelected(); } break;
      case "a": if (current) act("assign", targets(current)); break;
      case "o": if (current) location.href = current.dataset.href; break;
      case "/": { const f = document.querySelector("#filters select, #filters input:not([type=hidden])"); if (f) f.focus(); break; }
      default: return;
    }
    e.preventDefault();
  });

  if (list && incidents().length && !location.hash) focusIncident(incidents()[0], false);
})();
