// qinet entanglement service: the operator's dashboard.
//
// The tenant's token is kept in this tab's sessionStorage and sent as an Authorization
// header on every call; the event stream (GET v1/events, server-sent events) is read
// with fetch, since EventSource cannot send headers, so the token never sits in a URL.
// An empty token sends no header: with mutual TLS the browser's client certificate
// names the tenant.
// Everything the service sends is written with textContent, never parsed as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "qinet-eaas-token";
  const SVG = "http://www.w3.org/2000/svg";
  const VIEW_W = 1000;
  const VIEW_H = 560;
  const MIN_VIEW_H = 240;
  const PAD = 60;
  const MAX_EVENTS_SHOWN = 60;
  const IDLE = "#9aa5b1"; // an idle link (SVG attributes take no CSS variables)
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem(TOKEN_KEY); // null: signed out; "": certificate only
  let stream = null; // AbortController of the open stream
  let layout = null;
  const rows = new Map(); // request id -> {tr, cells, page}

  // -- calls ---------------------------------------------------------------------------

  function call(path, options = {}) {
    const headers = Object.assign({}, options.headers,
                                  token ? {Authorization: `Bearer ${token}`} : {});
    return fetch(path, Object.assign({}, options, {headers, cache: "no-store"}));
  }

  async function messageOf(response) {
    try {
      const body = await response.json();
      return body.message || `HTTP ${response.status}`;
    } catch (_e) {
      return `HTTP ${response.status}`;
    }
  }

  // -- signing in and out ------------------------------------------------------------------

  async function connect(candidate) {
    token = candidate;
    let response;
    try {
      response = await call("v1/layout");
    } catch (_e) {
      return signOut("the service cannot be reached");
    }
    if (response.status === 401) {
      return signOut(token ? "this token is not known to the service" :
        "the service needs a token (or a client certificate it knows)");
    }
    if (!response.ok) return signOut(await messageOf(response));
    layout = await response.json();
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login").hidden = true;
    $("board").hidden = false;
    $("logout").hidden = false;
    $("layout-source").textContent =
      layout.source === "coordinates" ? "(drawn at the nodes' coordinates)" : "(layout computed)";
    drawTopology();
    fillNodeChoices();
    follow();
    return undefined;
  }

  function signOut(reason) {
    if (stream) stream.abort();
    stream = null;
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("board").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = reason || "";
    $("token").value = "";
    setConnection("off", "not connected");
    rows.forEach((row) => row.tr.remove());
    rows.clear();
    $("events").replaceChildren();
  }

  function setConnection(kind, text) {
    const badge = $("connection");
    badge.className = `badge ${kind}`;
    badge.textContent = text;
  }

  // -- the event stream ------------------------------------------------------------------

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function parseEvent(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a keep-alive comment
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? {name, data: JSON.parse(data.join("\n"))} : null;
  }

  async function follow() {
    let backoff = 500;
    while (token !== null) {
      const controller = new AbortController();
      stream = controller;
      try {
        const response = await call("v1/events", {
          signal: controller.signal, headers: {Accept: "text/event-stream"}});
        if (response.status === 401) return signOut("the service refused this token");
        if (!response.ok) throw new Error(await messageOf(response));
        setConnection("live", "live");
        backoff = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const event = parseEvent(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
            if (event) dispatch(event);
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return undefined;
        logEvent(`stream interrupted: ${error.message || error}`);
      }
      if (stream !== controller) return undefined;
      setConnection("retry", "reconnecting");
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10000);
    }
    return undefined;
  }

  function dispatch({name, data}) {
    switch (name) {
      case "network":
        showNetwork(data);
        showKeyPools(data);
        for (const page of data.requests || []) showRequest(page);
        break;
      case "request": {
        showRequest(data);
        const slo = data.slo || {};
        const why = (slo.reasons || []).length ? ` (${slo.reasons.join("; ")})` : "";
        logEvent(`${data.id} ${data.between.join("–")}: ${data.state}, SLO ` +
                 `${slo.status || "not judged yet"}${why}`);
        break;
      }
      case "pairs": {
        const row = rows.get(data.request);
        if (row) setDelivered(row, data.pairs_delivered);
        logPairs(data);
        break;
      }
      case "dropped":
        logEvent(`${data.events} events left out (this page read too slowly)`);
        break;
      case "end":
        setConnection("retry", "service stopped");
        logEvent(`stream ended: ${data.reason}`);
        break;
      default:
        break;
    }
  }

  // -- the topology ----------------------------------------------------------------------

  function svg(tag, attributes, parent) {
    const element = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (parent) parent.appendChild(element);
    return element;
  }

  function placed() {
    const xs = layout.nodes.map((n) => n.x);
    const ys = layout.nodes.map((n) => n.y);
    const dx = Math.max(...xs) - Math.min(...xs);
    const dy = Math.max(...ys) - Math.min(...ys);
    const scale = Math.min(dx > 0 ? (VIEW_W - 2 * PAD) / dx : Infinity,
                           dy > 0 ? (VIEW_H - 2 * PAD) / dy : Infinity);
    const s = Number.isFinite(scale) ? scale : 1;
    // a flat drawing (a chain) gets a lower frame rather than empty space
    const height = Math.max(MIN_VIEW_H, Math.min(VIEW_H, dy * s + 2 * PAD));
    $("topology").setAttribute("viewBox", `0 0 ${VIEW_W} ${height}`);
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    const at = new Map();
    for (const n of layout.nodes) {
      at.set(n.name, [VIEW_W / 2 + (n.x - cx) * s, height / 2 + (n.y - cy) * s]);
    }
    return at;
  }

  function drawTopology() {
    const at = placed();
    const links = $("links");
    const nodes = $("nodes");
    const keyLinks = $("key-links");
    links.replaceChildren();
    nodes.replaceChildren();
    keyLinks.replaceChildren();
    // the key network's links, beneath: drawn for the topology, not served here
    for (const link of layout.key_links || []) {
      const [a, b] = link.between.map((name) => at.get(name));
      const g = svg("g", {"data-key-link": link.name}, keyLinks);
      svg("line", {class: "key-link", x1: a[0], y1: a[1], x2: b[0], y2: b[1]}, g);
      svg("title", {}, g).textContent = `${link.name}: QKD link (${link.scheme}` +
        (link.length_km == null ? ", free space)" : `, ${link.length_km} km)`);
    }
    $("legend-key").hidden = !(layout.key_links || []).length;
    for (const link of layout.links) {
      const [a, b] = link.between.map((name) => at.get(name));
      const g = svg("g", {"data-link": link.name}, links);
      svg("line", {class: "link", x1: a[0], y1: a[1], x2: b[0], y2: b[1],
                   stroke: IDLE, "stroke-width": 6}, g);
      const label = svg("text", {class: "link-label", x: (a[0] + b[0]) / 2,
                                 y: (a[1] + b[1]) / 2 - 12}, g);
      label.textContent = link.name;
      svg("title", {}, g).textContent = link.name;
    }
    const ring = 2 * Math.PI * 24;
    for (const node of layout.nodes) {
      const [x, y] = at.get(node.name);
      const g = svg("g", {"data-node": node.name, transform: `translate(${x},${y})`}, nodes);
      svg("circle", {class: "node-ring-bg", r: 24}, g);
      svg("circle", {class: "node-ring", r: 24, "stroke-dasharray": `0 ${ring}`,
                     transform: "rotate(-90)"}, g);
      svg("circle", {class: "node-core", r: 18}, g);
      svg("text", {class: "node-name", y: 5}, g).textContent = node.name;
      svg("text", {class: "node-memory", y: 44}, g).textContent = "";
      svg("title", {}, g).textContent = node.name;
    }
  }

  // on a log scale: requests ask for hertz of links that can give kilohertz
  function rateColour(pairsHz, capacityHz) {
    if (!(pairsHz > 0)) return IDLE;
    const share = Math.min(1, Math.log1p(pairsHz) / Math.log1p(capacityHz));
    return `hsl(${Math.round(190 - 190 * share)}, 72%, ${Math.round(45 + 5 * share)}%)`;
  }

  function hz(value) {
    if (value === null || value === undefined) return "–";
    if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} MHz`;
    if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} kHz`;
    return `${value.toPrecision(3)} Hz`;
  }

  function showNetwork(state) {
    $("clock").textContent = `simulated time: ${state.simulated_s.toFixed(2)} s` +
      (state.lag_s >= 0.01 ? ` (behind by ${state.lag_s.toFixed(2)} s)` : "") +
      ` · ${state.requests_active} active`;
    for (const link of state.links) {
      const g = document.querySelector(`[data-link="${CSS.escape(link.name)}"]`);
      if (!g) continue;
      const line = g.querySelector("line");
      line.setAttribute("stroke", rateColour(link.pairs_hz, link.rate_hz));
      line.setAttribute("stroke-width", link.users > 0 ? 8 : 5);
      g.querySelector("text").textContent = hz(link.pairs_hz);
      g.querySelector("title").textContent =
        `${link.name}: ${hz(link.pairs_hz)} of ${hz(link.rate_hz)}; ${link.users} users, ` +
        `spare ${hz(link.spare_rate_hz)}, F = ${link.fidelity.toFixed(4)}, ` +
        `${link.length_km} km`;
    }
    const ring = 2 * Math.PI * 24;
    for (const node of state.nodes) {
      const g = document.querySelector(`[data-node="${CSS.escape(node.name)}"]`);
      if (!g) continue;
      const share = node.memories ? node.memories_held / node.memories : 0;
      g.querySelector(".node-ring").setAttribute(
        "stroke-dasharray", `${(share * ring).toFixed(1)} ${ring.toFixed(1)}`);
      const memory = `${node.memories_held}/${node.memories}`;
      g.querySelector(".node-memory").textContent = memory;
      g.querySelector("title").textContent = `${node.name}: ${memory} memories held`;
    }
  }

  // -- key pools (when the key delivery service runs beside this one) ----------------------

  function showKeyPools(state) {
    const panel = $("keys-panel");
    const pools = state.key_pools;
    panel.hidden = !Array.isArray(pools);
    if (panel.hidden) return;
    const supply = state.key_supply || {};
    const capacity = supply.pool_capacity_bytes || 0;
    $("key-supply").textContent = supply.simulated_s == null ? "" :
      `(key supply at ${supply.simulated_s.toFixed(2)} simulated s)`;
    $("no-key-pools").hidden = pools.length > 0;
    const body = $("key-pools").tBodies[0];
    const shown = new Set();
    for (const pool of pools) {
      const name = pool.kmes.join(" – ");
      shown.add(name);
      let tr = body.querySelector(`tr[data-pool="${CSS.escape(name)}"]`);
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset.pool = name;
        cell(tr).textContent = name;
        const stored = cell(tr, "num");
        const count = document.createElement("span");
        count.className = "pool-stored";
        const bar = document.createElement("div");
        bar.className = "bar";
        bar.appendChild(document.createElement("span"));
        stored.append(count, bar);
        for (const key of ["deposited", "discarded", "issued", "delivered"]) {
          cell(tr, `num pool-${key}`);
        }
        body.appendChild(tr);
      }
      tr.querySelector(".pool-stored").textContent = String(pool.stored_bytes);
      tr.querySelector(".bar > span").style.width =
        `${capacity > 0 ? Math.min(100, 100 * pool.stored_bytes / capacity).toFixed(1) : 0}%`;
      tr.title = `${name}: ${pool.stored_bytes} of ${capacity} bytes stored`;
      tr.querySelector(".pool-deposited").textContent = String(pool.deposited_bytes);
      tr.querySelector(".pool-discarded").textContent = String(pool.discarded_bytes);
      tr.querySelector(".pool-issued").textContent = String(pool.keys_issued);
      tr.querySelector(".pool-delivered").textContent = String(pool.keys_delivered);
    }
    for (const tr of [...body.rows]) if (!shown.has(tr.dataset.pool)) tr.remove();
  }

  // -- requests ----------------------------------------------------------------------------

  function cell(tr, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function rowOf(id) {
    let row = rows.get(id);
    if (row) return row;
    const tr = document.createElement("tr");
    tr.dataset.request = id;
    const cells = {
      id: cell(tr), between: cell(tr), state: cell(tr), pairs: cell(tr, "num"),
      rate: cell(tr, "num"), fidelity: cell(tr, "num"), slo: cell(tr), action: cell(tr)};
    const delivered = document.createElement("span");
    delivered.className = "delivered";
    delivered.textContent = "0";
    const count = document.createElement("span");
    count.className = "count";
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.appendChild(document.createElement("span"));
    const backlog = document.createElement("div");
    backlog.className = "backlog";
    cells.pairs.append(delivered, count, bar, backlog);
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "small";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", () => cancelRequest(id));
    cells.action.appendChild(cancel);
    row = {tr, cells, delivered: 0, page: null};
    rows.set(id, row);
    $("requests").tBodies[0].prepend(tr);
    $("no-requests").hidden = true;
    return row;
  }

  // The bar shows pairs delivered against the count asked for, or, for an open request,
  // against the pairs asked for so far (the page's delivered plus its backlog: both
  // from one page, so they agree with each other).
  function setDelivered(row, count) {
    row.delivered = Math.max(row.delivered, count); // a snapshot may trail a pairs event
    row.cells.pairs.querySelector(".delivered").textContent = String(row.delivered);
    const page = row.page;
    if (!page) return;
    const backlog = (page.slo || {}).backlog || 0;
    const share = page.count ? row.delivered / page.count :
      (page.pairs_delivered + backlog > 0 ?
        page.pairs_delivered / (page.pairs_delivered + backlog) : 0);
    row.cells.pairs.querySelector(".bar > span").style.width =
      `${Math.min(100, 100 * share).toFixed(1)}%`;
  }

  function showRequest(page) {
    const row = rowOf(page.id);
    row.page = page;
    const {cells} = row;
    const slo = page.slo || {};
    cells.id.textContent = page.id;
    cells.between.textContent = page.between.join(" – ");
    cells.state.textContent = page.state;
    row.tr.className = `state-${page.state}`;
    cells.pairs.querySelector(".count").textContent = page.count ? ` / ${page.count}` : "";
    cells.pairs.querySelector(".backlog").textContent =
      `backlog ${slo.backlog || 0}` + (page.count ? "" : " (open request)");
    setDelivered(row, page.pairs_delivered);
    cells.rate.textContent = `${hz(slo.delivered_rate_hz || 0)} / ${hz(page.rate_hz)}`;
    cells.fidelity.textContent = (slo.mean_fidelity == null ? "–" :
      slo.mean_fidelity.toFixed(4)) + ` / ${page.min_fidelity}`;
    cells.slo.replaceChildren();
    const status = document.createElement("span");
    status.className = slo.status === "ok" ? "slo-ok" : "slo-outage";
    status.textContent = slo.status || "–";
    cells.slo.appendChild(status);
    for (const reason of slo.reasons || []) {
      const line = document.createElement("div");
      line.className = "reasons";
      line.textContent = reason;
      cells.slo.appendChild(line);
    }
    cells.action.querySelector("button").hidden = page.state !== "active";
  }

  async function cancelRequest(id) {
    const response = await call(`v1/requests/${encodeURIComponent(id)}`, {method: "DELETE"});
    if (response.ok) showRequest(await response.json());
    else logEvent(`cancelling ${id}: ${await messageOf(response)}`);
  }

  function fillNodeChoices() {
    const names = layout.nodes.map((n) => n.name).sort();
    for (const [id, pick] of [["ask-a", 0], ["ask-b", names.length - 1]]) {
      const select = $(id);
      select.replaceChildren(...names.map((name) => new Option(name, name)));
      select.value = names[pick];
    }
  }

  async function ask(event) {
    event.preventDefault();
    const body = {between: [$("ask-a").value, $("ask-b").value],
                  min_fidelity: Number($("ask-fidelity").value),
                  rate_hz: Number($("ask-rate").value)};
    if ($("ask-count").value) body.count = Number($("ask-count").value);
    const response = await call("v1/requests", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)});
    const result = $("ask-result");
    if (response.status === 201) {
      const answer = await response.json();
      result.className = "";
      result.textContent = `admitted as ${answer.id} on ${answer.estimate.path.join("–")}`;
    } else {
      result.className = "refused";
      result.textContent = `refused: ${await messageOf(response)}`;
    }
  }

  // -- recent events -----------------------------------------------------------------------

  function logEvent(text) {
    const list = $("events");
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const words = document.createElement("span");
    words.textContent = text;
    item.append(time, words);
    list.prepend(item);
    while (list.children.length > MAX_EVENTS_SHOWN) list.lastElementChild.remove();
    return item;
  }

  // A request's pairs are summed into one line a second, so a fast request does not push
  // every state change out of the list.
  const pairLines = new Map(); // request id -> {item, pairs, since}

  function logPairs(data) {
    const last = data.pairs[data.pairs.length - 1];
    let line = pairLines.get(data.request);
    if (!line || Date.now() - line.since > 1000 || !line.item.isConnected) {
      line = {item: logEvent(""), pairs: 0, since: Date.now()};
      pairLines.set(data.request, line);
    }
    line.pairs += data.pairs.length;
    line.item.lastElementChild.textContent =
      `${data.request}: ${line.pairs} ${line.pairs === 1 ? "pair" : "pairs"} ` +
      `(last ${last.id}, F = ${last.fidelity.toFixed(4)})`;
  }

  // -- start -------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      $("login-error").textContent = "";
      connect($("token").value.trim());
    });
    $("logout").addEventListener("click", () => signOut(""));
    $("ask").addEventListener("submit", ask);
    if (token !== null) connect(token);
  });
})();
