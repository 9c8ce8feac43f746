// The one-line dependency status from /api/readyz.
import assert from "node:assert/strict";
import { test } from "node:test";

import { describeReadiness } from "../public/js/status.js";

const up = (dependency) => ({ status: "up", dependency, latency_ms: 1.2 });

test("a ready appserver names each dependency", () => {
  assert.deepEqual(describeReadiness({
    status: "ready", hostname: "appserver-1",
    checks: { votes: up("postgresql"), pageviews: up("redis") },
  }), { state: "ok", text: "Appserver ready · votes: postgresql up · page views: redis up" });
});

test("degraded and unavailable have their own states", () => {
  const down = { status: "down", dependency: "redis" };
  assert.equal(describeReadiness({ status: "degraded", checks: { votes: up("sqlite"), pageviews: down } }).state,
    "warn");
  assert.deepEqual(describeReadiness({ status: "unavailable", checks: {} }),
    { state: "down", text: "Appserver unavailable" });
  assert.equal(describeReadiness({ status: "something new" }).state, "unknown");
});

test("injected faults are named with the replica that has them, and warn", () => {
  const described = describeReadiness({
    status: "ready", hostname: "appserver-2", checks: { votes: up("sqlite") },
    faults: { readiness_fail: false, latency_ms: 200, error_rate: 0.25, db_latency_ms: 0, redis_latency_ms: 50 },
  });
  assert.equal(described.state, "warn");
  assert.equal(described.text, "Appserver ready · votes: sqlite up · "
    + "faults on appserver-2: +200 ms per request, 25% errors, +50 ms per cache call");
});
