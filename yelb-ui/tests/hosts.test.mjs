// The host strip's memory of which appserver answered.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostHistory, shortNames } from "../public/js/hosts.js";

test("the history keeps the last refreshes only", () => {
  const history = new HostHistory(3);
  for (const host of ["a", "b", "c", "d"]) history.add(host);
  assert.deepEqual(history.hosts, ["b", "c", "d"]);
});

test("the tally lists the most frequent host first, then by name", () => {
  const history = new HostHistory();
  for (const host of ["appserver-2", "appserver-1", "appserver-2", "appserver-3", "appserver-1"]) history.add(host);
  assert.deepEqual(history.tally(), [["appserver-1", 2], ["appserver-2", 2], ["appserver-3", 1]]);
});

test("each host keeps the colour of its first appearance, eight apart", () => {
  const history = new HostHistory();
  for (let index = 0; index < 9; index += 1) history.add(`host-${index}`);
  history.add("host-0");
  assert.equal(history.colour("host-0"), "host--0");
  assert.equal(history.colour("host-7"), "host--7");
  assert.equal(history.colour("host-8"), "host--0");
  assert.equal(history.colour("never-seen"), "host--0");
});

test("short names are the shortest endings that tell hosts apart", () => {
  assert.deepEqual(shortNames(["appserver-1", "appserver-2", "appserver-1"]),
    new Map([["appserver-1", "-1"], ["appserver-2", "-2"]]));
  // Pod names keep their random tail; endings shared by two hosts grow up to 4 characters.
  assert.deepEqual(shortNames(["yelb-appserver-5d8c7-x2k9q", "yelb-appserver-5d8c7-p4k9q"]),
    new Map([["yelb-appserver-5d8c7-x2k9q", "2k9q"], ["yelb-appserver-5d8c7-p4k9q", "4k9q"]]));
  assert.deepEqual(shortNames(["alone"]), new Map([["alone", "ne"]]));
});
