// How often the page refreshes: ?refresh= in the address, then /config.json, then 5 s.
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_REFRESH_SECONDS, parseRefreshSeconds, refreshSeconds } from "../public/js/config.js";

test("whole seconds from 1 to 300 are taken", () => {
  for (const [value, seconds] of [["1", 1], ["7", 7], [300, 300], ["  12 ", 12]]) {
    assert.equal(parseRefreshSeconds(value), seconds, String(value));
  }
});

test("anything else is no setting at all", () => {
  for (const value of [null, undefined, "", "0", "301", "-5", "2.5", "soon", "1e9", Number.NaN]) {
    assert.equal(parseRefreshSeconds(value), null, String(value));
  }
});

test("the page address wins over the configuration file", async () => {
  assert.equal(await refreshSeconds({ search: "?refresh=9" }), 9);
});

test("without either the default applies", async () => {
  // No page address to ask /config.json against: the request fails, the default stays.
  assert.equal(await refreshSeconds({ search: "?refresh=0" }), DEFAULT_REFRESH_SECONDS);
});
