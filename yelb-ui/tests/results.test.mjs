// The results chart's shares: whole percent, adding up to exactly 100.
import assert from "node:assert/strict";
import { test } from "node:test";

import { shares } from "../public/js/results.js";

test("no votes share nothing", () => {
  assert.deepEqual(shares([0, 0, 0, 0]), [0, 0, 0, 0]);
});

test("equal thirds add up to 100, not 99", () => {
  assert.deepEqual(shares([1, 1, 1]), [34, 33, 33]);
});

test("the largest remainders get the missing points", () => {
  assert.deepEqual(shares([2, 1, 1, 3]), [29, 14, 14, 43]);
  assert.deepEqual(shares([1, 2]), [33, 67]);
});

test("shares of any counts add up to exactly 100", () => {
  for (const counts of [[7, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1], [999, 1, 1], [5, 5, 5, 5, 5, 5]]) {
    assert.equal(shares(counts).reduce((sum, share) => sum + share, 0), 100, String(counts));
  }
});

test("one option with every vote has 100", () => {
  assert.deepEqual(shares([0, 12, 0]), [0, 100, 0]);
});
