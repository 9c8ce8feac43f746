// Talks to the appserver through root-relative /api/... paths, so the same page works
// behind the nginx front and when the appserver serves these files itself.
import { answerOf } from "./replicas.js?v=1.1.0";

const TIMEOUT_MS = 4000;

export class ApiError extends Error {
  constructor(path, status, message) {
    super(message);
    this.path = path;
    this.status = status; // 0 when the request never got an HTTP answer
  }
}

const answerListeners = [];

// listener({hostname, version, colour}) hears of every answer a replica named itself in,
// errors included: the host strip records which replica served each request.
export function onAnswer(listener) {
  answerListeners.push(listener);
}

// Prefers the appserver's JSON {"error": ...}; a proxy's HTML error page says nothing useful.
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through to the status line
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

// Returns {status, body}; `accept` lists the statuses whose JSON body is a real answer
// (e.g. 503 from /api/readyz still describes the dependencies).
export async function request(path, { method = "GET", accept = [] } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: "application/json" },
      cache: "no-store",
      signal: controller.signal,
    });
  } catch (error) {
    const reason = error.name === "AbortError" ? `no answer within ${TIMEOUT_MS / 1000} s` : "network error";
    throw new ApiError(path, 0, reason);
  } finally {
    clearTimeout(timer);
  }
  const answer = answerOf(response);
  if (answer) answerListeners.forEach((listener) => listener(answer));
  if (!response.ok && !accept.includes(response.status)) {
    throw new ApiError(path, response.status, await errorMessage(response));
  }
  try {
    return { status: response.status, body: await response.json() };
  } catch {
    throw new ApiError(path, response.status, "the answer was not JSON");
  }
}

export const api = {
  options: async () => (await request("/api/options")).body,
  room: async () => (await request("/api/room")).body, // the question and the public URL
  votes: async () => (await request("/api/getvotes")).body,
  // getstats counts a page view (the original's behaviour); stats only reads, for refreshes.
  stats: async ({ countView }) => (await request(countView ? "/api/getstats" : "/api/stats")).body,
  whereami: async () => (await request("/api/whereami")).body,
  version: async () => (await request("/api/version")).body,
  readiness: async () => (await request("/api/readyz", { accept: [503] })).body,
  vote: async (name) => (await request(`/api/votes/${encodeURIComponent(name)}`, { method: "POST" })).body,
};
