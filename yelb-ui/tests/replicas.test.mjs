// Which replica answered, in which release: the strip's memory, the tallies and the colours.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ReplicaHistory, UNKNOWN_RELEASE, answerOf, releaseOf, shortNames, textColour } from "../public/js/replicas.js";

const answer = (hostname, version = "1.0.0", colour = "#1bbb4a") => ({ hostname, version, colour });

test("the history keeps the last answers only", () => {
  const history = new ReplicaHistory(3);
  for (const host of ["a", "b", "c", "d"]) history.add(answer(host));
  assert.deepEqual(history.hosts, ["b", "c", "d"]);
});

test("the replica tally lists the most frequent first, then by name, with whole percents", () => {
  const history = new ReplicaHistory();
  for (const host of ["appserver-2", "appserver-1", "appserver-2", "appserver-3", "appserver-1"]) {
    history.add(answer(host));
  }
  assert.deepEqual(history.byReplica().map(({ hostname, count, percent }) => [hostname, count, percent]),
    [["appserver-1", 2, 40], ["appserver-2", 2, 40], ["appserver-3", 1, 20]]);
});

test("a canary shows as one release in N, each in its own colour", () => {
  const history = new ReplicaHistory(10);
  for (let index = 0; index < 9; index += 1) history.add(answer(`old-${index % 3}`));
  history.add(answer("canary", "1.1.0", "#8a2be2"));
  assert.deepEqual(history.byRelease(), [
    { version: "1.0.0", colour: "#1bbb4a", count: 9, percent: 90 },
    { version: "1.1.0", colour: "#8a2be2", count: 1, percent: 10 },
  ]);
});

test("a replica takes the release of its latest answer, as during a rolling update", () => {
  const history = new ReplicaHistory();
  history.add(answer("appserver-1", "1.0.0", "#1bbb4a"));
  history.add(answer("appserver-1", "1.1.0", "#8a2be2"));
  assert.deepEqual(history.byReplica().map(({ version, colour }) => [version, colour]), [["1.1.0", "#8a2be2"]]);
});

test("the release comes from the answer's headers; without them it is unknown and grey", () => {
  const response = (headers) => ({ headers: new Headers(headers) });
  assert.deepEqual(releaseOf(response({ "X-Yelb-Version": "2.0.0", "X-Yelb-Color": "#AABBCC" })),
    { version: "2.0.0", colour: "#aabbcc" });
  assert.deepEqual(releaseOf(response({})), UNKNOWN_RELEASE);
  assert.deepEqual(releaseOf(response({ "X-Yelb-Version": "2.0.0", "X-Yelb-Color": "red; x" })), UNKNOWN_RELEASE);
});

test("an answer names its replica and release; without a host name it names none", () => {
  const response = (headers) => ({ headers: new Headers(headers) });
  assert.deepEqual(answerOf(response({ "X-Yelb-Hostname": "appserver-3", "X-Yelb-Version": "1.1.0",
                                       "X-Yelb-Color": "#8a2be2" })),
    { hostname: "appserver-3", version: "1.1.0", colour: "#8a2be2" });
  assert.deepEqual(answerOf(response({ "X-Yelb-Hostname": "appserver-3" })),
    { hostname: "appserver-3", ...UNKNOWN_RELEASE });
  assert.equal(answerOf(response({ "X-Yelb-Version": "1.1.0", "X-Yelb-Color": "#8a2be2" })), null);
});

test("text on a colour is black or white, whichever reads better", () => {
  assert.equal(textColour("#ffffff"), "#000");
  assert.equal(textColour("#000000"), "#fff");
  assert.equal(textColour("#ffff00"), "#000");
  assert.equal(textColour("#00008b"), "#fff");
});

test("short names are the shortest endings that tell hosts apart", () => {
  assert.deepEqual(shortNames(["appserver-1", "appserver-2", "appserver-1"]),
    new Map([["appserver-1", "-1"], ["appserver-2", "-2"]]));
  // Pod names keep their random tail; endings shared by two hosts grow up to 4 characters.
  assert.deepEqual(shortNames(["yelb-appserver-5d8c7-x2k9q", "yelb-appserver-5d8c7-p4k9q"]),
    new Map([["yelb-appserver-5d8c7-x2k9q", "2k9q"], ["yelb-appserver-5d8c7-p4k9q", "4k9q"]]));
  assert.deepEqual(shortNames(["alone"]), new Map([["alone", "ne"]]));
});
