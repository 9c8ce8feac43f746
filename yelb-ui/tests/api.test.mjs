// The page's API client against a real HTTP server on 127.0.0.1.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { ApiError, onAnswer, request } from "../public/js/api.js";

const answers = {
  "/json": [200, "application/json", '{"name": "ihop", "value": 3}',
            { "X-Yelb-Version": "1.1.0", "X-Yelb-Color": "#8a2be2", "X-Yelb-Hostname": "appserver-2" }],
  "/error-from-a-replica": [503, "application/json", '{"error": "postgresql is unavailable", "status": 503}',
                            { "X-Yelb-Version": "1.0.0", "X-Yelb-Color": "#1bbb4a", "X-Yelb-Hostname": "appserver-1" }],
  "/error": [404, "application/json", '{"error": "unknown option \'nachos\'", "status": 404}'],
  "/proxy-error": [502, "text/html", "<html>Bad Gateway</html>"],
  "/not-ready": [503, "application/json", '{"status": "unavailable"}'],
  "/not-json": [200, "text/html", "<html></html>"],
};
let server;
let base;

before(async () => {
  server = createServer((incoming, outgoing) => {
    const [status, type, body, headers = {}] = answers[incoming.url];
    outgoing.writeHead(status, { "Content-Type": type, ...headers });
    outgoing.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

async function failure(path, options) {
  await assert.rejects(request(`${base}${path}`, options), ApiError);
  return request(`${base}${path}`, options).catch((error) => error);
}

test("a JSON answer comes back with its status", async () => {
  assert.deepEqual(await request(`${base}/json`), { status: 200, body: { name: "ihop", value: 3 } });
});

test("the appserver's JSON error is the message", async () => {
  const error = await failure("/error");
  assert.equal(error.status, 404);
  assert.equal(error.message, "unknown option 'nachos'");
});

test("a proxy's HTML error page is reported by its status line", async () => {
  const error = await failure("/proxy-error");
  assert.equal(error.status, 502);
  assert.equal(error.message, "HTTP 502 Bad Gateway");
});

test("a status listed as accepted is an answer, not an error", async () => {
  assert.deepEqual(await request(`${base}/not-ready`, { accept: [503] }),
    { status: 503, body: { status: "unavailable" } });
  assert.equal((await failure("/not-ready")).status, 503);
});

test("an answer that is not JSON is an error", async () => {
  assert.equal((await failure("/not-json")).message, "the answer was not JSON");
});

test("no server at all is status 0, a network error", async () => {
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const error = await request(`http://127.0.0.1:${port}/json`).catch((caught) => caught);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 0);
  assert.equal(error.message, "network error");
});

test("every answer a replica names itself in is heard, errors too; a proxy's is not", async () => {
  const heard = [];
  onAnswer((answer) => heard.push(answer));
  await request(`${base}/json`);
  await failure("/error-from-a-replica");
  await failure("/proxy-error");
  assert.deepEqual(heard, [
    { hostname: "appserver-2", version: "1.1.0", colour: "#8a2be2" },
    { hostname: "appserver-1", version: "1.0.0", colour: "#1bbb4a" },
    { hostname: "appserver-1", version: "1.0.0", colour: "#1bbb4a" }, // failure() asks twice
  ]);
});
