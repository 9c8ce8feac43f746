// The address the QR code carries: the page itself, without its query or fragment.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pageAddress } from "../public/js/qr.js";

test("the QR code carries the page's address without query or fragment", () => {
  const location = new URL("http://192.0.2.7:8080/room/?refresh=2#results");
  assert.equal(pageAddress(location), "http://192.0.2.7:8080/room/");
});
