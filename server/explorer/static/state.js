// What a shared link restores, kept in the URL's fragment (never sent to the server, so a link
// carries no token): the role, the entity drawn first, the nodes expanded, the relationship
// types hidden, the path's ends (and whether all shortest paths were asked for), the selection
// the open view and how many neighbours a drawing or an expansion brings (n). For example:
//   /explore#as=service_agent&focus=CUSTOMER:C000001&open=EMPLOYEE:E0001&sel=ORDER:O0000003&view=journey

const LISTS = ["open", "hide"];
const FIELDS = ["as", "focus", "open", "hide", "from", "to", "paths", "sel", "view", "n"];

export function readState(hash = location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const state = {};
  for (const field of FIELDS) {
    const value = params.get(field);
    if (LISTS.includes(field)) state[field] = value ? value.split(",").filter(Boolean) : [];
    else state[field] = value || null;
  }
  return state;
}

export function writeState(state) {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = state[field];
    if (LISTS.includes(field)) {
      if (value && value.length) params.set(field, value.join(","));
    } else if (value) {
      params.set(field, value);
    }
  }
  const hash = "#" + params.toString().replace(/%3A/g, ":").replace(/%2C/g, ",");
  if (hash !== location.hash) history.replaceState(null, "", hash === "#" ? location.pathname : hash);
}
