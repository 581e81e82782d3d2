import assert from "node:assert/strict";
import { test } from "node:test";
import { rootKey } from "../src/protocol";
import { commandArgs, environmentsOf, findApp, requestTargets, treeModel } from "../src/tree";
import { endpoints } from "./fixtures";

test("apps show their active environment; endpoints their kind, hardware and deployed state", () => {
  const [app, other] = treeModel(endpoints);
  assert.equal(app.label, "app");
  assert.equal(app.description, "staging");
  assert.equal(other.description, "no environment");
  const [worker, api, helper] = app.children;
  assert.equal(worker.label, "gpu-worker");
  assert.equal(worker.description, "queue · GPU: A100 80GB · deployed (staging)");
  assert.equal(api.description, "load-balanced · CPU: cpu3c-2-4 · not deployed (staging)");
  assert.equal(helper.description, "unused · CPU: cpu3c-1-2 · not deployed: serves nothing");
  assert.match(worker.tooltip ?? "", /URL: https:\/\/api\.runpod\.ai\/v2\/abc123/);
});

test("load-balanced endpoints list their routes; a click opens the declaration", () => {
  const api = treeModel(endpoints)[0].children[1];
  assert.deepEqual(
    api.children.map((route) => [route.label, route.description]),
    [
      ["POST /generate", "generate()"],
      ["GET /health", "health()"],
    ],
  );
  assert.deepEqual(api.children[0].location?.range.start, { line: 6, character: 0 });
  // A route without a location of its own opens its endpoint.
  assert.deepEqual(api.children[1].location?.range.start, { line: 2, character: 0 });
  assert.equal(treeModel(endpoints)[0].children[0].children.length, 0, "a queue endpoint has no route nodes");
});

test("Deploy and Copy curl get {uri, endpoint, route} from a node", () => {
  const [worker, api, helper] = treeModel(endpoints)[0].children;
  assert.deepEqual(commandArgs(worker), { uri: "file:///work/app/worker.py", endpoint: "gpu-worker" });
  assert.deepEqual(commandArgs(api.children[0]), { uri: "file:///work/app/api.py", endpoint: "api", route: "POST /generate" });
  assert.equal(worker.contextValue, "flash.endpoint.callable");
  assert.equal(api.children[0].contextValue, "flash.route");
  assert.equal(helper.contextValue, "flash.endpoint.unused");
  // A code lens argument is passed through; the palette passes nothing.
  assert.deepEqual(commandArgs({ uri: "file:///x.py", endpoint: "e" }), { uri: "file:///x.py", endpoint: "e" });
  assert.deepEqual(commandArgs(undefined), {});
});

test("node ids are stable and unique", () => {
  const ids: string[] = [];
  const walk = (nodes: ReturnType<typeof treeModel>) => {
    for (const node of nodes) {
      ids.push(node.id);
      walk(node.children);
    }
  };
  walk(treeModel(endpoints));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(treeModel(endpoints), treeModel(endpoints));
});

test("no answer (server down, old server): an empty tree", () => {
  assert.deepEqual(treeModel(undefined), []);
  assert.deepEqual(treeModel({}), []);
});

test("app roots match whether written as a path or a URI", () => {
  assert.equal(rootKey("file:///work/other%20app"), "/work/other app");
  assert.equal(rootKey("/work/app/"), "/work/app");
  assert.equal(rootKey("file:///c%3A/Users/me/app"), "c:/Users/me/app");
  assert.equal(findApp(endpoints, "/work/app")?.name, "app");
  assert.equal(findApp(endpoints, "/work/other app")?.name, "other");
  assert.equal(findApp(endpoints, "/elsewhere"), undefined);
  assert.deepEqual(environmentsOf(endpoints), { "/work/app": "staging", "/work/other app": null });
});

test("Copy curl from the palette offers each callable endpoint, a load-balanced one per route", () => {
  const targets = requestTargets(endpoints, "/work/app");
  assert.deepEqual(
    targets.map((target) => target.label),
    ["gpu-worker", "api: POST /generate", "api: GET /health"],
  );
  assert.deepEqual(targets[1].args, { uri: "file:///work/app/api.py", endpoint: "api", route: "POST /generate" });
  assert.deepEqual(requestTargets(endpoints, "/work/other app"), []);
});

test("an endpoint name declared twice still gives each node its own id (VS Code refuses duplicates)", () => {
  const app = endpoints.apps![0];
  const twice = { apps: [{ ...app, endpoints: [app.endpoints![0], { ...app.endpoints![0], hardware: "GPU any" }] }] };
  const [first, second] = treeModel(twice)[0].children;
  assert.equal(first.id, "/work/app#gpu-worker");
  assert.equal(second.id, "/work/app#gpu-worker#2");
  assert.equal(second.label, "gpu-worker");
});
