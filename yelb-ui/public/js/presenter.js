// The presenter view: the question, live results, the QR code for the room and the
// share of answers per replica, refreshed on a timer. It only reads: no page views
// are counted and nothing is voted from here.
import { api, onAnswer } from "./api.js?v=1.1.0";
import { refreshSeconds } from "./config.js?v=1.1.0";
import { renderQr } from "./qr.js?v=1.1.0";
import { ReplicaHistory, shortNames, textColour } from "./replicas.js?v=1.1.0";
import { shares } from "./results.js?v=1.1.0";

const byId = (id) => document.getElementById(id);

const state = {
  seconds: 5,
  labels: null, // Map name -> label once /api/options answered
  roomShown: false,
  history: new ReplicaHistory(20),
};
onAnswer((answer) => state.history.add(answer));

// The address phones should open: the configured public URL, else the main page next to this one.
export function audienceAddress(room, location = window.location) {
  return room.public_url ?? new URL(".", location.href).href;
}

function showRoom(room) {
  byId("question").textContent = room.question;
  document.title = `Yelb: ${room.question}`;
  const address = audienceAddress(room);
  renderQr(byId("qr"), address);
  byId("audience-url").textContent = address.replace(/^https?:\/\//, "");
  state.roomShown = true;
}

function element(tag, className, text = "") {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

function showResults(votes) {
  const percents = shares(votes.map((vote) => vote.value));
  const top = Math.max(0, ...votes.map((vote) => vote.value));
  const list = byId("results");
  list.style.setProperty("--rows", String(Math.max(votes.length, 1)));
  list.replaceChildren(...votes.map((vote, index) => {
    const label = state.labels?.get(vote.name) ?? vote.name;
    const row = element("li", "tally__row");
    row.dataset.option = vote.name;
    row.classList.toggle("tally__row--leader", top > 0 && vote.value === top);
    const name = element("span", "tally__label", label);
    name.title = label;
    const track = element("span", "tally__track");
    const bar = element("span", "tally__bar");
    // Bars scale to the leader, so small differences stay visible from the back.
    bar.style.width = top === 0 ? "0" : `${(vote.value * 100) / top}%`;
    track.append(bar);
    const figures = element("span", "tally__figures");
    figures.append(element("span", "tally__count", String(vote.value)),
                   element("span", "tally__percent", `${percents[index]}%`));
    row.append(name, figures, track);
    return row;
  }));
  byId("total").textContent = String(votes.reduce((sum, vote) => sum + vote.value, 0));
}

// Each replica's part of the bar is drawn in its release's colour (X-Yelb-Color), so a
// rolling update or a canary shows as colours shifting across the bar.
function showReplicas() {
  const replicas = state.history.byReplica();
  const short = shortNames(replicas.map((replica) => replica.hostname));
  byId("replica-share").replaceChildren(...replicas.map(({ hostname, version, colour, count, percent }) => {
    const part = element("li", "replica-share__part", `${short.get(hostname)} ${percent}%`);
    part.style.flexGrow = String(count);
    part.style.backgroundColor = colour;
    part.style.color = textColour(colour);
    part.title = `${hostname} (${version}): ${count} of the last ${state.history.answers.length} answers`;
    part.dataset.host = hostname;
    part.dataset.version = version;
    part.dataset.count = String(count);
    return part;
  }));
}

function showProblem(failures) {
  const problem = byId("problem");
  problem.textContent = failures.length
    ? `Trouble reaching the appserver (${failures.map((error) => error.message).join("; ")}); retrying every ${state.seconds} s`
    : "";
  problem.hidden = failures.length === 0;
}

async function refresh() {
  const [room, options, votes] = await Promise.allSettled([
    state.roomShown ? Promise.resolve(null) : api.room(),
    state.labels ? Promise.resolve(null) : api.options(),
    api.votes(),
  ]);
  if (room.status === "fulfilled" && room.value) showRoom(room.value);
  if (options.status === "fulfilled" && options.value) {
    state.labels = new Map(options.value.map((option) => [option.name, option.label]));
  }
  if (votes.status === "fulfilled") showResults(votes.value);
  showReplicas();
  const failures = [room, options, votes].filter((result) => result.status === "rejected");
  showProblem(failures.map((result) => result.reason));
  if (votes.status === "fulfilled") {
    const time = byId("updated-at");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString("en-GB");
  }
}

async function loop() {
  try {
    await refresh();
  } finally {
    setTimeout(loop, state.seconds * 1000); // keep refreshing whatever happened
  }
}

async function start() {
  state.seconds = await refreshSeconds();
  byId("replica-window").textContent = String(state.history.size);
  await loop();
}

start();
