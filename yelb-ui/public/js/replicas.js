// Which replica answered the last few requests, and in which release: the host strip,
// the share chart and the release tally colour each answer by the release that served it,
// so a rolling update shows the colours shift and a canary shows one answer in N.
//
// API (the presenter page uses it too):
//   releaseOf(response)       -> {version, colour} from an appserver answer's headers
//   answerOf(response)        -> {hostname, version, colour}, or null if no replica named itself
//   new ReplicaHistory(size)  .add({hostname, version, colour}) keeps the last `size` answers;
//                             .answers (oldest first); .byReplica() -> [{hostname, version,
//                             colour, count, percent}] and .byRelease() -> [{version, colour,
//                             count, percent}], most frequent first
//   textColour(colour)        -> "#000" or "#fff", whichever reads better on `colour`
//   renderStrip(list, history), renderShares(chart, tally, releases, history)

export const VERSION_HEADER = "X-Yelb-Version";
export const COLOUR_HEADER = "X-Yelb-Color";
export const HOSTNAME_HEADER = "X-Yelb-Hostname";
// An answer without the headers (an older appserver) is drawn in neutral grey.
export const UNKNOWN_RELEASE = Object.freeze({ version: "unknown", colour: "#3d4451" });
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

export function releaseOf(response) {
  const version = response.headers.get(VERSION_HEADER);
  const colour = response.headers.get(COLOUR_HEADER);
  if (!version || !HEX_COLOUR.test(colour ?? "")) return { ...UNKNOWN_RELEASE };
  return { version, colour: colour.toLowerCase() };
}

// Every answer names the replica that served it, so the page can record all of its
// requests: a round robin over as many replicas as the page makes requests per refresh
// would otherwise hand any one route to the same replica every time.
export function answerOf(response) {
  const hostname = response.headers.get(HOSTNAME_HEADER);
  return hostname ? { hostname, ...releaseOf(response) } : null;
}

// WCAG relative luminance of #rrggbb.
function luminance(colour) {
  const channels = [1, 3, 5].map((start) => parseInt(colour.slice(start, start + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function textColour(colour) {
  const light = luminance(colour);
  const onWhite = 1.05 / (light + 0.05);
  const onBlack = (light + 0.05) / 0.05;
  return onBlack > onWhite ? "#000" : "#fff";
}

// One entry per distinct `key` ("hostname" or "version") of the answers, with the
// latest release seen for it, its count and whole-percent share; most frequent first.
function tally(answers, key) {
  const groups = new Map();
  for (const answer of answers) {
    groups.set(answer[key], { ...answer, count: (groups.get(answer[key])?.count ?? 0) + 1 });
  }
  const total = answers.length || 1;
  return [...groups.values()]
    .map((group) => ({ ...group, percent: Math.round((group.count * 100) / total) }))
    .sort((a, b) => b.count - a.count || a[key].localeCompare(b[key]));
}

export class ReplicaHistory {
  constructor(size = 20) {
    this.size = size;
    this.answers = []; // [{hostname, version, colour}], oldest first
  }

  add({ hostname, version, colour }) {
    this.answers.push({ hostname, version, colour });
    if (this.answers.length > this.size) this.answers.shift();
  }

  get hosts() {
    return this.answers.map((answer) => answer.hostname);
  }

  byReplica() {
    return tally(this.answers, "hostname");
  }

  byRelease() {
    return tally(this.answers, "version").map(({ version, colour, count, percent }) => ({ version, colour, count, percent }));
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

function painted(element, colour) {
  element.style.backgroundColor = colour;
  element.style.color = textColour(colour);
  element.dataset.colour = colour;
  return element;
}

function listItem(className, text) {
  const item = document.createElement("li");
  item.className = className;
  item.textContent = text;
  return item;
}

export function renderStrip(strip, history) {
  const short = shortNames(history.hosts);
  strip.replaceChildren(
    ...history.answers.map(({ hostname, version, colour }) => {
      const chip = painted(listItem("host-chip", short.get(hostname)), colour);
      chip.title = `${hostname} (${version})`;
      chip.setAttribute("aria-label", `${hostname}, release ${version}`);
      chip.dataset.host = hostname;
      chip.dataset.version = version;
      return chip;
    }),
  );
}

// A bar split per replica (each part in its release's colour), a count per replica, and
// the share per release: "2.0.0 10%" during a canary.
export function renderShares(chart, tally, releases, history) {
  const replicas = history.byReplica();
  chart.replaceChildren(
    ...replicas.map(({ hostname, version, colour, count }) => {
      const part = painted(document.createElement("span"), colour);
      part.className = "share-chart__part";
      part.style.flexGrow = String(count);
      part.title = `${hostname} (${version}): ${count}`;
      part.dataset.host = hostname;
      return part;
    }),
  );
  tally.replaceChildren(
    ...replicas.map(({ hostname, version, colour, count }) => {
      const item = painted(listItem("host-count", `${hostname} ×${count}`), colour);
      item.title = `release ${version}`;
      item.dataset.host = hostname;
      item.dataset.version = version;
      item.dataset.count = String(count);
      return item;
    }),
  );
  releases.replaceChildren(
    ...history.byRelease().map(({ version, colour, count, percent }) => {
      const item = painted(listItem("release-share", `${version} ${percent}%`), colour);
      item.dataset.version = version;
      item.dataset.count = String(count);
      return item;
    }),
  );
}
