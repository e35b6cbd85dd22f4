// The business views beside the graph, each drawn from one API answer: a customer's journey
// as swimlanes by department (front office above back office), a ticket's hand-off chain with
// the wait at each hop, a department's service-level alerts, who knows a customer best, and the
// list view of the selection. Every entity in a view is a button: `pick(kind, id, entity)`
// selects it in the graph (drawing it first if it is not there yet).
// Text goes in with textContent only: nothing from an answer is ever parsed as HTML.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "style") Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function entityButton(pick, kind, entity, text) {
  if (!entity) return h("span", { class: "muted" }, "—");
  return h(
    "button",
    { type: "button", class: "entity", "data-key": `${kind}:${entity.id}`, onclick: () => pick(kind, entity.id) },
    text || entity.name || entity.id,
  );
}

export function duration(seconds) {
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400 * 2) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function renderMessage(container, text) {
  container.replaceChildren(h("p", { class: "muted" }, text));
}

// --- the journey: one lane per department, front office first -----------------------------

export function renderJourney(container, customer, journey, pick) {
  const events = journey.nodes;
  if (!events.length) return renderMessage(container, `${customer.label}: no events in the journey.`);
  const lanes = new Map();
  for (const event of events) {
    const department = event.department;
    const key = department ? department.id : "-";
    if (!lanes.has(key)) lanes.set(key, { department, events: [] });
    lanes.get(key).events.push(event);
  }
  const rank = (lane) => (!lane.department ? 2 : lane.department.kind === "FRONT_OFFICE" ? 0 : 1);
  const ordered = [...lanes.values()].sort(
    (a, b) => rank(a) - rank(b) || (a.department?.name || "").localeCompare(b.department?.name || ""),
  );
  const times = events.map((event) => Date.parse(event.at));
  const start = Math.min(...times);
  const span = Math.max(Math.max(...times) - start, 1);
  const rows = ordered.map((lane) => {
    const office = !lane.department ? "" : lane.department.kind === "FRONT_OFFICE" ? "front" : "back";
    const marks = lane.events.map((event) => {
      const target = eventTarget(event);
      const left = (100 * (Date.parse(event.at) - start)) / span;
      const title = `${event.at.slice(0, 16).replace("T", " ")} · ${event.kind}${event.step ? " " + event.step : ""}${
        event.channel ? " " + event.channel : ""
      }${event.employee ? " · " + event.employee.name : ""}${event.detail ? " · " + event.detail : ""}`;
      return h(
        "button",
        {
          type: "button",
          class: `event ${event.kind.toLowerCase()}`,
          style: { left: `calc(${left.toFixed(2)}% - 5px)` },
          title,
          "aria-label": title,
          "data-key": target ? `${target.kind}:${target.id}` : null,
          onclick: target ? () => pick(target.kind, target.id) : null,
        },
      );
    });
    return h(
      "div",
      { class: `lane ${office}`, role: "row" },
      h("div", { class: "lane-name", role: "rowheader" },
        lane.department ? entityButton(pick, "DEPARTMENT", lane.department) : "no department"),
      h("div", { class: "track", role: "cell" }, marks),
    );
  });
  container.replaceChildren(
    h("h2", {}, `Journey of ${customer.label}`),
    h("p", { class: "muted" },
      `${events.length} of ${journey.totalCount} events, ${events[0].at.slice(0, 10)} to ${events.at(-1).at.slice(0, 10)};`,
      " front office above back office."),
    h("div", { class: "swimlanes", role: "table", "aria-label": "Journey by department" }, rows),
    h("p", { class: "legend" }, h("span", { class: "event order_step" }), " order step ",
      h("span", { class: "event interaction" }), " interaction ", h("span", { class: "event hand_off" }), " hand-off ",
      h("span", { class: "event ticket_opened" }), " ticket"),
  );
}

function eventTarget(event) {
  if (event.order) return { kind: "ORDER", id: event.order.id };
  if (event.ticket) return { kind: "TICKET", id: event.ticket.id };
  if (event.interaction) return { kind: "INTERACTION", id: event.interaction.id };
  if (event.employee) return { kind: "EMPLOYEE", id: event.employee.id };
  return null;
}

// --- a ticket's hand-off chain --------------------------------------------------------------

export function renderHandOffs(container, ticket, chain, pick) {
  if (!chain || !chain.hops.length) return renderMessage(container, `${ticket.label}: no hand-offs.`);
  const longest = Math.max(...chain.hops.map((hop) => hop.waitSeconds), 1);
  const items = chain.hops.map((hop) =>
    h(
      "li",
      { class: hop.current ? "current" : "" },
      h("div", {}, `${hop.position}. `, entityButton(pick, "EMPLOYEE", hop.employee),
        hop.department ? [" in ", entityButton(pick, "DEPARTMENT", hop.department)] : "",
        hop.current ? h("strong", {}, " (holds it now)") : ""),
      h("div", { class: "muted" }, `${hop.at.slice(0, 16).replace("T", " ")} · ${hop.reason}`,
        hop.by ? [" · handed over by ", entityButton(pick, "EMPLOYEE", hop.by)] : ""),
      h("div", { class: "wait" },
        h("span", { class: "bar", style: { width: `${Math.max(2, (100 * hop.waitSeconds) / longest)}%` } }),
        ` waited ${duration(hop.waitSeconds)}`),
    ),
  );
  container.replaceChildren(
    h("h2", {}, `Hand-offs of ${ticket.label}`),
    h("p", { class: "muted" }, `${chain.hops.length} hops, ${duration(chain.totalWaitSeconds)} in all; `,
      chain.closed ? "closed." : "still open."),
    h("ol", { class: "hops" }, items),
  );
}

// --- a department's service-level alerts ----------------------------------------------------

export function renderAlerts(container, department, alerts, pick) {
  if (!alerts.nodes.length) return renderMessage(container, `${department.label}: no ticket breached or at risk.`);
  const rows = alerts.nodes.map((alert) =>
    h("tr", { class: alert.state.toLowerCase() },
      h("td", {}, entityButton(pick, "TICKET", alert.ticket, alert.ticket && alert.ticket.subject)),
      h("td", {}, alert.state), h("td", {}, alert.tier),
      h("td", {}, `${Math.round(alert.resolution.usedShare * 100)}%`),
      h("td", {}, entityButton(pick, "EMPLOYEE", alert.assignee)),
      h("td", {}, duration(alert.heldSeconds))),
  );
  container.replaceChildren(
    h("h2", {}, `Service-level alerts of ${department.label}`),
    h("p", { class: "muted" }, `${alerts.totalCount} tickets breached or at risk, worst first.`),
    h("table", {},
      h("thead", {}, h("tr", {}, ["Ticket", "State", "Tier", "Resolution used", "Held by", "Held for"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)),
  );
}

// --- who knows a customer best --------------------------------------------------------------

export function renderExperts(container, customer, experts, pick) {
  if (!experts.length) return renderMessage(container, `${customer.label}: nobody has been in touch.`);
  const rows = experts.map((expert) =>
    h("tr", {},
      h("td", {}, expert.rank), h("td", {}, entityButton(pick, "EMPLOYEE", expert.employee)),
      h("td", {}, expert.employee?.department ? expert.employee.department.name : ""),
      h("td", {}, expert.score.toFixed(2)),
      h("td", {}, `${expert.interactions} / ${expert.handOffs} / ${expert.orderSteps}`),
      h("td", {}, expert.accountOwner ? "owner" : "")),
  );
  container.replaceChildren(
    h("h2", {}, `Who knows ${customer.label} best`),
    h("table", {},
      h("thead", {}, h("tr", {}, ["#", "Employee", "Department", "Score", "Interactions / hand-offs / steps", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows)),
  );
}

// --- the list view: the selection and what is drawn around it ------------------------------

export function renderList(container, graph, pick, expand) {
  const key = graph.selected();
  const all = graph.cy.nodes();
  if (!key) {
    const items = all.slice(0, 300).map((node) => listItem(node.data(), pick));
    return container.replaceChildren(
      h("h2", {}, `Drawn: ${all.length} entities`),
      all.length ? h("ul", { class: "entities" }, items) : h("p", { class: "muted" }, "Search for an entity to start."),
    );
  }
  const data = graph.node(key).data();
  const neighbours = graph.neighbours(key).map((other) => listItem(graph.node(other).data(), pick));
  container.replaceChildren(
    h("h2", {}, data.label),
    h("p", {}, `${data.kind.toLowerCase()} ${data.entityId} · ${data.detail || ""}`),
    h("button", { type: "button", onclick: () => expand(key) }, "Expand"),
    h("h3", {}, `Drawn around it: ${neighbours.length}`),
    h("ul", { class: "entities" }, neighbours),
  );
}

function listItem(data, pick) {
  return h("li", {}, h("button", { type: "button", class: "entity", "data-key": data.id,
    onclick: () => pick(data.kind, data.entityId) }, `${data.label}`), h("span", { class: "muted" }, ` ${data.kind.toLowerCase()}`));
}
