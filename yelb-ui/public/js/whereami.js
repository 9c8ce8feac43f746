// The where-am-I panel: the platform of the replica that answered /api/whereami, in its
// orchestrator's words (pod and namespace on Kubernetes, allocation and job on Nomad).
// What the platform did not say shows as "unknown".

import { textColour } from "./replicas.js?v=1.1.0";

const UNKNOWN = "unknown";

export function whereamiRows(where) {
  const terms = where.terms ?? {};
  return [
    ["orchestrator", "Orchestrator", where.orchestrator],
    ["instance", terms.instance ?? "instance", where.instance],
    ["node", "node", where.node],
    ["group", terms.group ?? "group", where.group],
    ["zone", terms.zone ?? "zone", where.zone],
    ["region", "region", where.region],
  ].map(([key, label, value]) => [key, label.charAt(0).toUpperCase() + label.slice(1), value || UNKNOWN]);
}

export function renderWhereami(list, where) {
  const rows = whereamiRows(where).map(([key, label, value]) => {
    const row = document.createElement("div");
    row.dataset.field = key;
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    detail.classList.toggle("unknown", value === UNKNOWN);
    row.append(term, detail);
    return row;
  });
  list.replaceChildren(...rows);
  const release = list.closest("section")?.querySelector(".whereami__release");
  if (release && where.version && where.color) {
    release.textContent = `${where.hostname} · release ${where.version}`;
    release.style.backgroundColor = where.color;
    release.style.color = textColour(where.color);
    release.dataset.version = where.version;
  }
}
