// The one-line dependency status from the appserver's readiness answer
// (GET /api/readyz: 200 ready/degraded, 503 unavailable, both with "checks").

const STATES = {
  ready: "ok",
  degraded: "warn",
  unavailable: "down",
};

const CHECK_LABELS = {
  votes: "votes",
  pageviews: "page views",
};

// Faults injected through /api/faults (only with YELB_FAULT_INJECTION=true) are an
// experiment in progress: the line names them and the replica that has them.
const FAULT_LABELS = {
  readiness_fail: () => "readiness fails",
  latency_ms: (value) => `+${value} ms per request`,
  error_rate: (value) => `${Math.round(value * 100)}% errors`,
  db_latency_ms: (value) => `+${value} ms per database call`,
  redis_latency_ms: (value) => `+${value} ms per cache call`,
};

function describeFaults(readiness) {
  const active = Object.entries(readiness.faults ?? {})
    .filter(([, value]) => value)
    .map(([name, value]) => (FAULT_LABELS[name] ? FAULT_LABELS[name](value) : `${name} ${value}`));
  return active.length ? `faults on ${readiness.hostname}: ${active.join(", ")}` : null;
}

export function describeReadiness(readiness) {
  const checks = Object.entries(readiness.checks ?? {}).map(([name, check]) => {
    const dependency = check.dependency ? `${check.dependency} ` : "";
    return `${CHECK_LABELS[name] ?? name}: ${dependency}${check.status}`;
  });
  const faults = describeFaults(readiness);
  const state = STATES[readiness.status] ?? "unknown";
  return {
    state: faults && state === "ok" ? "warn" : state,
    text: [`Appserver ${readiness.status}`, ...checks, ...(faults ? [faults] : [])].join(" · "),
  };
}

export function renderReadiness(element, readiness) {
  const { state, text } = readiness
    ? describeReadiness(readiness)
    : { state: "unknown", text: "Appserver status unknown: no answer from /api/readyz" };
  element.dataset.state = state;
  element.textContent = text;
}
