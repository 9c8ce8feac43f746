// Remembers which appserver host answered the last few refreshes, so round-robin
// across replicas shows at a glance.

const COLOURS = 8;

export class HostHistory {
  constructor(size = 20) {
    this.size = size;
    this.hosts = [];
    this.colours = new Map(); // host -> colour index, by first appearance: distinct for up to 8 hosts
  }

  add(hostname) {
    this.hosts.push(hostname);
    if (this.hosts.length > this.size) this.hosts.shift();
    if (!this.colours.has(hostname)) this.colours.set(hostname, this.colours.size % COLOURS);
  }

  colour(hostname) {
    return `host--${this.colours.get(hostname) ?? 0}`;
  }

  // [[hostname, count]] with the most frequent first, then by name.
  tally() {
    const counts = new Map();
    for (const host of this.hosts) counts.set(host, (counts.get(host) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
}

// The shortest ending (2 to 4 characters) that tells each host apart from the others:
// "appserver-1" and "appserver-2" become "-1" and "-2"; pod names keep their random tail.
export function shortNames(hosts) {
  const unique = [...new Set(hosts)];
  const names = new Map();
  for (const host of unique) {
    let length = 2;
    while (length < 4 && unique.some((other) => other !== host && other.endsWith(host.slice(-length)))) {
      length += 1;
    }
    names.set(host, host.slice(-length));
  }
  return names;
}

function listItem(className, text) {
  const item = document.createElement("li");
  item.className = className;
  item.textContent = text;
  return item;
}

export function renderHosts(strip, tallyList, history) {
  const short = shortNames(history.hosts);
  strip.replaceChildren(
    ...history.hosts.map((host) => {
      const chip = listItem(`host-chip ${history.colour(host)}`, short.get(host));
      chip.title = host;
      chip.setAttribute("aria-label", host);
      return chip;
    }),
  );
  tallyList.replaceChildren(
    ...history.tally().map(([host, count]) => {
      const item = listItem(`host-count ${history.colour(host)}`, `${host} ×${count}`);
      item.dataset.host = host;
      item.dataset.count = String(count);
      return item;
    }),
  );
}
