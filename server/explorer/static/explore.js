// The explorer page: wires the search, the graph, the path tools, the views and the URL state.
// `window.explorer` exposes what is drawn and a busy count, for the browser tests and the bench.

import { ALERTS, ALL_SHORTEST_PATHS, Api, EXPERTS, HAND_OFF_CHAIN, JOURNEY, NEIGHBOURHOOD, SEARCH, SHORTEST_PATH } from "./api.js";
import { Graph, edgeId, nodeId, splitId } from "./graph.js";
import { readState, writeState } from "./state.js";
import { h, renderAlerts, renderExperts, renderHandOffs, renderJourney, renderList, renderMessage } from "./views.js";

const RELATIONSHIPS = ["PLACED", "CONTAINS", "HANDLED_BY", "WORKS_IN", "REPORTS_TO", "HAD", "WITH", "RAISED", "ASSIGNED_TO", "OWNED_BY"];
const DEFAULT_NEIGHBOURS = 60;
const MAX_NEIGHBOURS = 1000; // the API's bound
const VIEWS = {
  list: { needs: null },
  journey: { needs: "CUSTOMER", hint: "Select a customer to see their journey." },
  handoffs: { needs: "TICKET", hint: "Select a ticket to see its hand-off chain." },
  alerts: { needs: "DEPARTMENT", hint: "Select a department to see its service-level alerts." },
  experts: { needs: "CUSTOMER", hint: "Select a customer to see who knows them best." },
};

const config = JSON.parse(document.getElementById("explorer-config").textContent);
const $ = (id) => document.getElementById(id);
const status = $("status");
const state = readState();
state.open = state.open || [];
state.hide = state.hide || [];
const expanded = new Set();
let busy = 0;
// How long the last drawing and expansion took, by part (milliseconds): for the benchmark.
const timings = {};

// --- who the page acts as ----------------------------------------------------------------

const identities = config.identities || [];
const picker = $("identity-role");
const roleKey = config.storageNamespace + ":role";
const tokenKey = config.storageNamespace + ":explorer-token";
for (const [index, identity] of identities.entries()) {
  picker.append(h("option", { value: String(index), title: identity.description }, identity.label));
}
picker.append(h("option", { value: "token" }, "the pasted token"));
function chooseRole(role) {
  const index = identities.findIndex((identity) => identity.role === role);
  if (index >= 0) picker.value = String(index);
  else if (sessionStorage.getItem(tokenKey)) picker.value = "token";
}
chooseRole(state.as || localStorage.getItem(roleKey));
function authorization() {
  if (picker.value === "token") return sessionStorage.getItem(tokenKey) || "";
  const identity = identities[Number(picker.value)];
  return identity ? "Bearer " + identity.token : sessionStorage.getItem(tokenKey) || "";
}
function currentRole() {
  const identity = identities[Number(picker.value)];
  return picker.value !== "token" && identity ? identity.role : null;
}
picker.addEventListener("change", () => {
  const role = currentRole();
  if (role) localStorage.setItem(roleKey, role);
  // Another role sees other rows: start again from the same entity under its policy.
  restart();
});
$("token-use").addEventListener("click", () => {
  const value = $("token-text").value.trim();
  if (!value) return;
  sessionStorage.setItem(tokenKey, value.startsWith("Bearer ") ? value : "Bearer " + value);
  $("token-text").value = "";
  picker.value = "token";
  restart();
});
$("token-clear").addEventListener("click", () => {
  sessionStorage.removeItem(tokenKey);
  if (picker.value === "token" && identities.length) picker.value = "0";
  restart();
});

const api = new Api(config.endpoint, authorization);

// --- progress and errors -------------------------------------------------------------------

async function work(what, task) {
  busy += 1;
  document.body.dataset.busy = String(busy);
  const progress = what + "…";
  status.textContent = progress;
  status.className = "";
  try {
    const result = await task();
    if (status.textContent === progress) status.textContent = ""; // unless the task said more
    return result;
  } catch (error) {
    status.textContent = `${what} failed: ${error.message}${error.code ? " (" + error.code + ")" : ""}`;
    status.className = "error";
    return undefined;
  } finally {
    busy -= 1;
    document.body.dataset.busy = String(busy);
  }
}

// --- the graph ---------------------------------------------------------------------------------

const graph = new Graph($("graph"), onSelect, (key) => expand(key));

// How many neighbours a drawing or an expansion asks for (n in the URL, the toolbar's box).
function neighbourCount() {
  const n = Number.parseInt(state.n, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, 1), MAX_NEIGHBOURS) : DEFAULT_NEIGHBOURS;
}
const countBox = $("neighbours");
countBox.value = String(neighbourCount());
countBox.addEventListener("change", () => {
  state.n = countBox.value;
  state.n = String(neighbourCount());
  countBox.value = state.n;
  save();
});

function activeTypes() {
  return RELATIONSHIPS.filter((type) => !state.hide.includes(type));
}

async function draw(key) {
  const { kind, id } = splitId(key);
  await work(`Drawing ${key}`, async () => {
    const started = performance.now();
    const data = await api.call(NEIGHBOURHOOD, { entity: { kind, id }, types: activeTypes(), first: neighbourCount() });
    const answered = performance.now();
    graph.clear();
    expanded.clear();
    const around = data.neighbourhood;
    graph.add(around.nodes, around.relationships);
    expanded.add(key);
    const added = performance.now();
    await graph.layout();
    timings.draw = { api: answered - started, add: added - answered, layout: performance.now() - added };
    graph.select(key, { centre: false });
    note(around);
  });
}

async function expand(key) {
  if (!key || expanded.has(key)) return;
  const { kind, id } = splitId(key);
  await work(`Expanding ${key}`, async () => {
    const started = performance.now();
    const data = await api.call(NEIGHBOURHOOD, { entity: { kind, id }, types: activeTypes(), first: neighbourCount() });
    const answered = performance.now();
    const around = data.neighbourhood;
    graph.add(around.nodes, around.relationships, key);
    expanded.add(key);
    timings.expand = { api: answered - started, add: performance.now() - answered };
    if (!state.open.includes(key) && key !== state.focus) state.open.push(key);
    note(around);
    save();
  });
}

function note(around) {
  $("graph").dataset.nodes = String(graph.cy.nodes().length);
  $("graph").dataset.edges = String(graph.cy.edges().length);
  if (around.truncated) status.textContent = `Showing the first ${neighbourCount()} neighbours; there are more.`;
}

// --- search --------------------------------------------------------------------------------------

const searchText = $("search-text");
const results = $("search-results");
let searchTimer = null;
let searchSeq = 0;
searchText.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  runSearch().then(() => results.querySelector("button")?.focus());
});
async function runSearch() {
  const text = searchText.value.trim();
  const seq = ++searchSeq;
  if (!text) return results.replaceChildren();
  const data = await work("Searching", () => api.call(SEARCH, { text, first: 10 }));
  if (seq !== searchSeq || !data) return;
  results.replaceChildren(
    ...data.search.map((hit) => {
      const entity = hit.entity;
      const key = nodeId(entity.__typename.toUpperCase(), entity.id);
      const label = entity.name || entity.subject || entity.id;
      return h("li", { role: "option" },
        h("button", { type: "button", "data-key": key, onclick: () => choose(key) }, label,
          h("span", { class: "muted" }, ` ${entity.__typename.toLowerCase()} ${entity.id}`)));
    }),
  );
  if (!data.search.length) results.replaceChildren(h("li", { class: "muted" }, "Nothing found."));
}
results.addEventListener("keydown", (event) => {
  const buttons = [...results.querySelectorAll("button")];
  const at = buttons.indexOf(document.activeElement);
  if (event.key === "ArrowDown") buttons[Math.min(at + 1, buttons.length - 1)]?.focus();
  else if (event.key === "ArrowUp") (at <= 0 ? searchText : buttons[at - 1]).focus();
  else if (event.key === "Escape") results.replaceChildren();
  else return;
  event.preventDefault();
});

async function choose(key) {
  results.replaceChildren();
  state.focus = key;
  state.open = [];
  state.from = state.to = state.paths = null;
  state.sel = key;
  save();
  await draw(key);
  showView();
  $("graph").focus();
}

// --- relationship filter -----------------------------------------------------------------------

const filter = $("rel-filter");
for (const type of RELATIONSHIPS) {
  const box = h("input", { type: "checkbox", value: type, checked: !state.hide.includes(type) });
  box.addEventListener("change", () => {
    state.hide = RELATIONSHIPS.filter((name) => !filter.querySelector(`input[value="${name}"]`).checked);
    graph.setHiddenTypes(state.hide);
    save();
  });
  filter.append(h("label", {}, box, type.toLowerCase().replace("_", " ")));
}

// --- paths ---------------------------------------------------------------------------------------

function showEnds() {
  $("path-ends").textContent = state.from || state.to ? `Path: ${state.from || "?"} → ${state.to || "?"}` : "";
  graph.markEnds([state.from, state.to]);
}
function setEnd(which) {
  const key = graph.selected();
  if (!key) return (status.textContent = "Select an entity first.");
  state[which] = key;
  save();
  showEnds();
}
async function drawPaths(all) {
  if (!state.from || !state.to) return (status.textContent = "Pick both ends: select an entity, then From or To.");
  const from = splitId(state.from);
  const to = splitId(state.to);
  state.paths = all ? "all" : "one";
  save();
  await work(all ? "Finding all shortest paths" : "Finding the shortest path", async () => {
    const data = await api.call(all ? ALL_SHORTEST_PATHS : SHORTEST_PATH, { from, to });
    const paths = all ? data.allShortestPaths : data.shortestPath ? [data.shortestPath] : [];
    if (!paths.length) {
      graph.highlightPath([], [], [state.from, state.to]);
      status.textContent = "No path within 8 hops that you may see.";
      return;
    }
    const nodes = paths.flatMap((path) => path.nodes);
    const relationships = paths.flatMap((path) => path.relationships);
    const added = graph.add(nodes, relationships, state.from);
    const keys = nodes.map((entity) => nodeId(entity.__typename.toUpperCase(), entity.id));
    graph.highlightPath(keys, relationships.map(edgeId), [state.from, state.to]);
    if (added.length) await graph.layout(false);
    status.textContent = `${paths.length} path${paths.length > 1 ? "s" : ""} of length ${paths[0].length}.`;
  });
}
$("path-from").addEventListener("click", () => setEnd("from"));
$("path-to").addEventListener("click", () => setEnd("to"));
$("path-one").addEventListener("click", () => drawPaths(false));
$("path-all").addEventListener("click", () => drawPaths(true));
$("relayout").addEventListener("click", () => graph.layout(false));
$("clear").addEventListener("click", () => {
  graph.clear();
  expanded.clear();
  Object.assign(state, { focus: null, open: [], from: null, to: null, paths: null, sel: null });
  save();
  showView();
});

// --- selection, views and keyboard ---------------------------------------------------------------

function onSelect(key) {
  state.sel = key;
  save();
  showView();
}

// A click in a view selects the entity in the graph, drawing it (and its neighbourhood) first
// when it is not there yet.
async function pick(kind, id) {
  const key = nodeId(kind, id);
  if (!graph.has(key)) {
    await work(`Drawing ${key}`, async () => {
      const data = await api.call(NEIGHBOURHOOD, { entity: { kind, id }, types: activeTypes(), first: neighbourCount() });
      graph.add(data.neighbourhood.nodes, data.neighbourhood.relationships, graph.selected());
      expanded.add(key);
      if (!state.open.includes(key)) state.open.push(key);
    });
  }
  graph.select(key);
}

const viewPane = $("view");
const tabs = [...document.querySelectorAll("#view-tabs button")];
for (const tab of tabs) {
  tab.addEventListener("click", () => {
    state.view = tab.dataset.view;
    save();
    showView();
  });
}
let viewSeq = 0;
async function showView() {
  const name = VIEWS[state.view] ? state.view : "list";
  for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.view === name));
  const seq = ++viewSeq;
  const view = VIEWS[name];
  if (name === "list") return renderList(viewPane, graph, pick, expand);
  const key = graph.selected();
  const { kind, id } = key ? splitId(key) : {};
  if (kind !== view.needs) return renderMessage(viewPane, view.hint);
  const entity = graph.node(key).data();
  viewPane.dataset.view = name;
  viewPane.dataset.loaded = "";
  renderMessage(viewPane, `Loading the ${name} view of ${entity.label}…`);
  const calls = {
    journey: () => api.call(JOURNEY, { customerId: id }),
    handoffs: () => api.call(HAND_OFF_CHAIN, { ticketId: id }),
    alerts: () => api.call(ALERTS, { departmentId: id }),
    experts: () => api.call(EXPERTS, { customerId: id }),
  };
  const data = await work(`Loading the ${name} view`, calls[name]);
  if (seq !== viewSeq) return;
  if (!data) return renderMessage(viewPane, status.textContent);
  if (name === "journey") renderJourney(viewPane, entity, data.journey, pick);
  if (name === "handoffs") renderHandOffs(viewPane, entity, data.handOffChain, pick);
  if (name === "alerts") renderAlerts(viewPane, entity, data.serviceLevelAlerts, pick);
  if (name === "experts") renderExperts(viewPane, entity, data.whoKnowsBest, pick);
  viewPane.dataset.loaded = key;
}

$("graph").addEventListener("keydown", (event) => {
  const key = graph.selected();
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (step) {
    const around = key ? graph.neighbours(key) : graph.cy.nodes().map((node) => node.id()).sort();
    if (!around.length) return;
    const last = $("graph").dataset.cursor;
    const at = around.indexOf(last);
    const next = around[(at + step + around.length) % around.length];
    $("graph").dataset.cursor = next;
    graph.select(next);
  } else if (event.key === "Enter" || event.key === " ") {
    expand(key);
  } else if (event.key === "f") setEnd("from");
  else if (event.key === "t") setEnd("to");
  else if (event.key === "p") drawPaths(event.shiftKey);
  else if (event.key === "l") graph.layout(false);
  else if (event.key === "Escape") graph.cy.$(":selected").unselect();
  else return;
  event.preventDefault();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && document.activeElement !== searchText) {
    event.preventDefault();
    searchText.focus();
  }
});

// --- state in the URL ------------------------------------------------------------------------------

function save() {
  state.as = currentRole();
  writeState(state);
}

async function restore() {
  showEnds();
  graph.setHiddenTypes(state.hide);
  if (state.focus) {
    await draw(state.focus);
    for (const key of state.open) await expand(key);
    if (state.from && state.to && state.paths) await drawPaths(state.paths === "all");
    if (state.sel && graph.has(state.sel)) graph.select(state.sel, { centre: false });
  }
  await showView();
  save();
}

function restart() {
  graph.clear();
  expanded.clear();
  results.replaceChildren();
  restore();
}

window.explorer = {
  graph,
  state,
  drawn: () => graph.drawn(),
  busy: () => busy,
  timings,
  draw,
  expand,
};
document.body.dataset.busy = "0";
restore();
