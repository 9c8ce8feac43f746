// Wires the page together: loads the options, refreshes results, page views,
// host names and dependency status on a timer and right after each vote.
import { api, onAnswer } from "./api.js?v=1.1.0";
import { refreshSeconds } from "./config.js?v=1.1.0";
import { ReplicaHistory, renderShares, renderStrip } from "./replicas.js?v=1.1.0";
import { pageAddress, renderQr } from "./qr.js?v=1.1.0";
import { renderResults } from "./results.js?v=1.1.0";
import { renderReadiness } from "./status.js?v=1.1.0";
import { renderWhereami } from "./whereami.js?v=1.1.0";

const byId = (id) => document.getElementById(id);

const state = {
  seconds: 5,
  labels: null, // Map name -> label once /api/options answered
  history: new ReplicaHistory(20),
  lastTotal: null,
  voteNote: "", // what to announce with the next results change after our own vote
  problems: new Map(), // what failed in the last refresh -> why
  voteProblem: null, // [what, why] of a failed vote, shown until the next vote or the appserver answers again
  versionShown: false,
  viewCounted: false,
  timer: null,
  queue: Promise.resolve(),
};
onAnswer((answer) => state.history.add(answer));

function announce(message) {
  byId("announcer").textContent = message;
}

const LIST = new Intl.ListFormat("en", { type: "conjunction" });

// "loading the results and loading the page views failed (HTTP 502: appserver unavailable)"
function describeProblems(problems) {
  const byReason = new Map();
  for (const [what, why] of problems) byReason.set(why, [...(byReason.get(why) ?? []), what]);
  return [...byReason].map(([why, whats]) => `${LIST.format(whats)} failed (${why})`).join("; ");
}

function showProblems() {
  const alert = byId("alert");
  const problems = [...(state.voteProblem ? [state.voteProblem] : []), ...state.problems];
  const text = problems.length
    ? `Trouble talking to the appserver: ${describeProblems(problems)}. Retrying every ${state.seconds} s.`
    : "";
  if (alert.textContent !== text) alert.textContent = text; // unchanged text is not announced again
  alert.hidden = problems.length === 0;
}

function reason(error) {
  return error.status ? `HTTP ${error.status}: ${error.message}` : error.message;
}

function problem(what, error) {
  state.problems.set(what, reason(error));
}

function renderOptions(options) {
  state.labels = new Map(options.map((option) => [option.name, option.label]));
  const cards = options.map((option) => {
    const card = document.createElement("li");
    card.className = "card";
    card.dataset.option = option.name;
    const title = document.createElement("h3");
    title.className = "card__title";
    title.textContent = option.label;
    const tagline = document.createElement("p");
    tagline.className = "card__tagline";
    tagline.textContent = option.tagline;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.append("Vote");
    const target = document.createElement("span");
    target.className = "visually-hidden";
    target.textContent = ` for ${option.label}`;
    button.append(target);
    button.addEventListener("click", () => vote(option, button));
    card.append(title, tagline, button);
    return card;
  });
  byId("options").replaceChildren(...cards);
  byId("options-loading").hidden = true;
}

function leaders(votes) {
  const top = Math.max(...votes.map((vote) => vote.value));
  const names = votes.filter((vote) => vote.value === top).map((vote) => state.labels?.get(vote.name) ?? vote.name);
  return names.length === 1 ? `${names[0]} leads with ${top}` : `${names.join(" and ")} tie with ${top} each`;
}

function showVotes(votes) {
  const total = renderResults(byId("results-body"), byId("results-total"), votes, state.labels ?? new Map());
  if (state.lastTotal !== null && total !== state.lastTotal) {
    announce(`${state.voteNote}Results updated: ${total} votes in total; ${leaders(votes)}.`);
    state.voteNote = "";
  }
  state.lastTotal = total;
}

function showStats(stats) {
  const pageviews = byId("pageviews");
  const counted = typeof stats.pageviews === "number";
  pageviews.textContent = counted ? stats.pageviews.toLocaleString("en") : "unavailable";
  pageviews.title = counted ? "" : "The page view store (Redis) is down; votes still work.";
  byId("hostname").textContent = stats.hostname;
}

function showReplicas() {
  renderStrip(byId("host-strip"), state.history);
  renderShares(byId("replica-share"), byId("host-tally"), byId("release-tally"), state.history);
}

function showUpdated() {
  const now = new Date();
  const time = byId("updated-at");
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString("en-GB");
}

async function refreshParts() {
  state.problems.clear();
  const [options, votes, stats, readiness, version, whereami] = await Promise.allSettled([
    state.labels ? Promise.resolve(null) : api.options(),
    api.votes(),
    api.stats({ countView: !state.viewCounted }),
    api.readiness(),
    state.versionShown ? Promise.resolve(null) : api.version(),
    api.whereami(),
  ]);
  if (options.status === "fulfilled" && options.value) renderOptions(options.value);
  if (options.status === "rejected") problem("loading the options", options.reason);
  if (votes.status === "fulfilled") showVotes(votes.value);
  else problem("loading the results", votes.reason);
  if (stats.status === "fulfilled") {
    showStats(stats.value);
    state.viewCounted = true; // one page view per page load, not one per refresh
  }
  else problem("loading the page views", stats.reason);
  showReplicas();
  renderReadiness(byId("dependencies"), readiness.status === "fulfilled" ? readiness.value : null);
  // A nicety: an older appserver without /api/whereami leaves the panel as it was, unflagged.
  if (whereami.status === "fulfilled") renderWhereami(byId("whereami"), whereami.value);
  if (version.status === "fulfilled" && version.value) {
    byId("appserver-version").textContent = `${version.value.version} (${version.value.revision})`;
    state.versionShown = true;
  }
  if (votes.status === "fulfilled" && stats.status === "fulfilled") {
    showUpdated();
    state.voteProblem = null; // the appserver answers again: voting works
  }
  showProblems();
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    await refreshParts();
  } finally {
    state.timer = setTimeout(tick, state.seconds * 1000); // even after a surprise, keep refreshing
  }
}

// Refreshes run one after another, so a vote's refresh never races a timed one.
function refreshNow() {
  state.queue = state.queue.then(refresh, refresh);
  return state.queue;
}

function tick() {
  if (document.hidden) return; // a background tab neither polls nor counts page views
  refreshNow();
}

async function vote(option, button) {
  if (button.getAttribute("aria-disabled") === "true") return; // one vote in flight per card
  button.setAttribute("aria-disabled", "true"); // not `disabled`: that would drop keyboard focus
  state.voteProblem = null;
  try {
    const result = await api.vote(option.name);
    state.voteNote = `Your vote for ${option.label} counted; it has ${result.value}. `;
  } catch (error) {
    state.voteProblem = [`your vote for ${option.label}`, reason(error)];
    showProblems();
    return;
  } finally {
    button.removeAttribute("aria-disabled");
  }
  await refreshNow();
}

// The room's question and public URL (YELB_QUESTION, YELB_PUBLIC_URL); an appserver without
// /api/room (the original Yelb's) leaves the page's own question and address.
async function room() {
  try {
    return await api.room();
  } catch {
    return { question: null, public_url: null };
  }
}

function setUpQr(address) {
  renderQr(byId("qr"), address);
  const link = byId("page-link");
  link.href = address;
  link.textContent = address;
  const toggle = byId("qr-toggle");
  toggle.addEventListener("click", () => {
    const large = toggle.getAttribute("aria-pressed") !== "true";
    toggle.setAttribute("aria-pressed", String(large));
    toggle.closest(".panel").classList.toggle("panel--share-large", large);
  });
}

async function start() {
  const { question, public_url: publicUrl } = await room();
  if (question) byId("question").textContent = question;
  setUpQr(publicUrl ?? pageAddress());
  state.seconds = await refreshSeconds();
  byId("refresh-seconds").textContent = String(state.seconds);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refreshNow();
  });
  await refreshNow();
}

start();
