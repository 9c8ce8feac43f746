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

export function describeReadiness(readiness) {
  const checks = Object.entries(readiness.checks ?? {}).map(([name, check]) => {
    const dependency = check.dependency ? `${check.dependency} ` : "";
    return `${CHECK_LABELS[name] ?? name}: ${dependency}${check.status}`;
  });
  return {
    state: STATES[readiness.status] ?? "unknown",
    text: [`Appserver ${readiness.status}`, ...checks].join(" · "),
  };
}

export function renderReadiness(element, readiness) {
  const { state, text } = readiness
    ? describeReadiness(readiness)
    : { state: "unknown", text: "Appserver status unknown: no answer from /api/readyz" };
  element.dataset.state = state;
  element.textContent = text;
}
