// The drawing: entities and relationships as Cytoscape elements.
//
// A node's id is KIND:id (CUSTOMER:C000001), so an entity is drawn once however many answers
// bring it. Employees sit inside their department when it is drawn (a compound node), and the
// WORKS_IN edge between them is then left undrawn (the box says it). A first neighbourhood is
// laid out with fcose; nodes an expansion brings are placed in a ring around the node expanded,
// so an expansion never moves what the reader is looking at (and costs no layout run).

/* global cytoscape, cytoscapeFcose */

export const KINDS = ["CUSTOMER", "EMPLOYEE", "DEPARTMENT", "ORDER", "TICKET", "PRODUCT", "INTERACTION"];
const KIND_OF_TYPENAME = Object.fromEntries(KINDS.map((kind) => [kind[0] + kind.slice(1).toLowerCase(), kind]));

export function nodeId(kind, id) {
  return `${kind}:${id}`;
}

export function splitId(key) {
  const at = key.indexOf(":");
  return { kind: key.slice(0, at), id: key.slice(at + 1) };
}

// What the drawing needs of an entity as the Node fragment of api.js reads it.
export function describe(entity) {
  const kind = KIND_OF_TYPENAME[entity.__typename];
  const data = { id: nodeId(kind, entity.id), kind, entityId: entity.id, entity };
  switch (kind) {
    case "CUSTOMER":
      data.label = entity.name;
      data.detail = `${entity.tier} · ${entity.segment}`;
      break;
    case "EMPLOYEE":
      data.label = entity.name;
      data.detail = entity.title + (entity.department ? ` · ${entity.department.name}` : "");
      if (entity.department) {
        data.departmentId = nodeId("DEPARTMENT", entity.department.id);
        data.office = entity.department.kind;
      }
      break;
    case "DEPARTMENT":
      data.label = entity.name;
      data.detail = `${entity.function} · ${entity.kind === "FRONT_OFFICE" ? "front office" : "back office"}`;
      data.office = entity.kind;
      break;
    case "ORDER":
      data.label = `Order ${entity.id}`;
      data.detail = `${entity.orderStatus} · ${entity.total} ${entity.currency} · ${entity.placedAt.slice(0, 10)}`;
      break;
    case "TICKET":
      data.label = entity.subject;
      data.detail = `${entity.id} · ${entity.ticketStatus} · ${entity.priority}`;
      break;
    case "PRODUCT":
      data.label = entity.name;
      data.detail = entity.category;
      break;
    default:
      data.label = `${entity.channel} ${entity.at.slice(0, 10)}`;
      data.detail = entity.id;
  }
  return data;
}

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 9,
      "text-valign": "bottom",
      "text-margin-y": 3,
      "text-max-width": 110,
      "text-wrap": "ellipsis",
      width: 22,
      height: 22,
      "border-width": 1,
      "border-color": "#fff",
      color: "#222",
      "min-zoomed-font-size": 7,
    },
  },
  { selector: 'node[kind = "CUSTOMER"]', style: { "background-color": "#d9480f", shape: "ellipse", width: 30, height: 30 } },
  { selector: 'node[kind = "EMPLOYEE"]', style: { "background-color": "#1971c2", shape: "round-rectangle" } },
  { selector: 'node[kind = "EMPLOYEE"][office = "BACK_OFFICE"]', style: { "background-color": "#5f3dc4" } },
  { selector: 'node[kind = "ORDER"]', style: { "background-color": "#2b8a3e", shape: "diamond" } },
  { selector: 'node[kind = "TICKET"]', style: { "background-color": "#c92a2a", shape: "triangle" } },
  { selector: 'node[kind = "PRODUCT"]', style: { "background-color": "#868e96", shape: "hexagon" } },
  { selector: 'node[kind = "INTERACTION"]', style: { "background-color": "#e67700", shape: "ellipse", width: 14, height: 14 } },
  {
    selector: 'node[kind = "DEPARTMENT"]',
    style: { "background-color": "#d0ebff", "border-color": "#1971c2", "border-width": 2, shape: "round-rectangle", width: 40, height: 30 },
  },
  { selector: 'node[kind = "DEPARTMENT"][office = "BACK_OFFICE"]', style: { "background-color": "#e5dbff", "border-color": "#5f3dc4" } },
  {
    selector: ":parent",
    style: { "text-valign": "top", "font-size": 11, "font-weight": "bold", padding: 12, "background-opacity": 0.45 },
  },
  {
    selector: "edge",
    style: {
      width: 1.2,
      "line-color": "#adb5bd",
      "target-arrow-color": "#adb5bd",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.7,
      "curve-style": "haystack",
      label: "",
      "font-size": 7,
    },
  },
  { selector: "edge.grouped", style: { display: "none" } },
  { selector: "edge.filtered", style: { display: "none" } },
  { selector: "node:selected", style: { "border-color": "#fab005", "border-width": 4 } },
  { selector: "node.path", style: { "border-color": "#f03e3e", "border-width": 4 } },
  {
    selector: "edge.path",
    style: { "line-color": "#f03e3e", "target-arrow-color": "#f03e3e", width: 3, "curve-style": "bezier", label: "data(type)" },
  },
  { selector: "node.end", style: { "border-color": "#f03e3e", "border-width": 6 } },
];

export class Graph {
  constructor(container, onSelect, onActivate) {
    cytoscape.use(cytoscapeFcose);
    this.cy = cytoscape({
      container,
      style: STYLE,
      selectionType: "single",
      minZoom: 0.05,
      maxZoom: 3,
      textureOnViewport: true,
      hideEdgesOnViewport: true,
    });
    this.hiddenTypes = new Set();
    this.cy.on("select", "node", (event) => onSelect(event.target.id()));
    this.cy.on("unselect", "node", () => {
      if (this.cy.$("node:selected").empty()) onSelect(null);
    });
    this.cy.on("tap", "node", (event) => onActivate(event.target.id()));
  }

  has(key) {
    return this.cy.getElementById(key).nonempty();
  }

  node(key) {
    const node = this.cy.getElementById(key);
    return node.nonempty() ? node : null;
  }

  // Adds what is not drawn yet; `around` places new nodes in a ring about that node.
  // Returns the keys of the nodes added.
  add(entities, relationships, around = null) {
    const cy = this.cy;
    const added = [];
    cy.batch(() => {
      const fresh = [];
      const seen = new Set();
      for (const entity of entities) {
        const data = describe(entity);
        if (seen.has(data.id) || cy.getElementById(data.id).nonempty()) continue;
        seen.add(data.id);
        fresh.push(data);
      }
      // Departments first, so employees can go inside them.
      fresh.sort((a, b) => (a.kind === "DEPARTMENT" ? 0 : 1) - (b.kind === "DEPARTMENT" ? 0 : 1));
      const centre = around ? cy.getElementById(around) : null;
      const origin = centre && centre.nonempty() ? centre.position() : { x: 0, y: 0 };
      const radius = 60 + 4 * fresh.length;
      fresh.forEach((data, index) => {
        const angle = (2 * Math.PI * index) / Math.max(fresh.length, 1);
        let position = { x: origin.x + radius * Math.cos(angle), y: origin.y + radius * Math.sin(angle) };
        const department = data.departmentId ? cy.getElementById(data.departmentId) : null;
        if (department && department.nonempty()) {
          // Into its department's box, near the others, so the box does not stretch across the drawing.
          data.parent = data.departmentId;
          const at = department.position();
          position = { x: at.x + 30 * Math.cos(angle), y: at.y + 30 * Math.sin(angle) };
        }
        cy.add({ group: "nodes", data, position });
        added.push(data.id);
        if (data.kind === "DEPARTMENT") this._adopt(data.id);
      });
      for (const rel of relationships) this._addEdge(rel);
    });
    return added;
  }

  _adopt(departmentKey) {
    this.cy
      .nodes()
      .filter((node) => node.data("departmentId") === departmentKey && !node.isChild())
      .forEach((employee) => employee.move({ parent: departmentKey }));
    this.cy
      .edges()
      .filter((edge) => edge.data("type") === "WORKS_IN" && edge.data("target") === departmentKey)
      .addClass("grouped");
  }

  _addEdge(rel) {
    const source = nodeId(rel.startKind, rel.startId);
    const target = nodeId(rel.endKind, rel.endId);
    const id = `${rel.type}:${source}->${target}`;
    if (this.cy.getElementById(id).nonempty()) return;
    if (this.cy.getElementById(source).empty() || this.cy.getElementById(target).empty()) return;
    const edge = this.cy.add({ group: "edges", data: { id, source, target, type: rel.type } });
    if (rel.type === "WORKS_IN" && this.cy.getElementById(source).parent().id() === target) edge.addClass("grouped");
    if (this.hiddenTypes.has(rel.type)) edge.addClass("filtered");
  }

  // fcose over everything drawn; `randomize` false starts from where the nodes are (a tidy-up).
  layout(randomize = true) {
    const count = this.cy.nodes().length;
    return new Promise((resolve) => {
      const layout = this.cy.layout({
        name: "fcose",
        quality: count > 300 ? "draft" : "default",
        randomize,
        animate: false,
        fit: true,
        padding: 30,
        nodeDimensionsIncludeLabels: false,
        numIter: count > 300 ? 1000 : 2500,
        packComponents: true,
      });
      layout.one("layoutstop", () => resolve());
      layout.run();
    });
  }

  select(key, { centre = true } = {}) {
    const node = this.node(key);
    if (!node) return;
    this.cy.$(":selected").unselect();
    node.select();
    if (centre) this.cy.animate({ center: { eles: node }, duration: 150 });
  }

  selected() {
    const node = this.cy.$("node:selected");
    return node.nonempty() ? node.id() : null;
  }

  // The drawn neighbours of a node, in a stable order (keyboard navigation and the list view).
  neighbours(key) {
    const node = this.node(key);
    if (!node) return [];
    const around = node.openNeighborhood("node").union(node.children()).union(node.parent());
    return around
      .map((other) => other.id())
      .filter((id) => id !== key)
      .sort();
  }

  setHiddenTypes(types) {
    this.hiddenTypes = new Set(types);
    this.cy.batch(() => {
      this.cy.edges().forEach((edge) => {
        edge.toggleClass("filtered", this.hiddenTypes.has(edge.data("type")));
      });
    });
  }

  highlightPath(nodeKeys, edgeIds, ends) {
    this.cy.elements().removeClass("path end");
    for (const key of nodeKeys) this.cy.getElementById(key).addClass("path");
    for (const id of edgeIds) this.cy.getElementById(id).addClass("path");
    for (const key of ends) if (key) this.cy.getElementById(key).addClass("end");
  }

  markEnds(ends) {
    this.cy.nodes().removeClass("end");
    for (const key of ends) if (key) this.cy.getElementById(key).addClass("end");
  }

  clear() {
    this.cy.elements().remove();
  }

  // What is drawn, as plain data: for the list view, tests and the benchmark.
  drawn() {
    return {
      nodes: this.cy.nodes().map((node) => node.id()).sort(),
      edges: this.cy
        .edges()
        .map((edge) => `${edge.data("source")} ${edge.data("type")} ${edge.data("target")}`)
        .sort(),
      path: this.cy.elements(".path").map((element) => element.id()).sort(),
      parents: Object.fromEntries(this.cy.nodes(":child").map((node) => [node.id(), node.parent().id()])),
    };
  }
}

export function edgeId(rel) {
  return `${rel.type}:${nodeId(rel.startKind, rel.startId)}->${nodeId(rel.endKind, rel.endId)}`;
}
