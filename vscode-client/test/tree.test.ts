import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { isFlashEndpoint, rootKey } from "../src/protocol";
import { APP_API_CONTEXT, commandArgs, environmentsOf, findApp, requestTargets, treeModel } from "../src/tree";
import { appApiEndpoints, endpoints } from "./fixtures";

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

test("app API resources: kind, hardware and their runpod.App; a task has its own label and icon", () => {
  const [demo] = treeModel(appApiEndpoints);
  const [queue, api, task] = demo.children;
  assert.deepEqual(
    demo.children.map((node) => [node.label, node.description, node.icon]),
    [
      ["transcribe", "queue · GPU H100 · runpod.App demo", "layers"],
      ["Inference", "load-balanced · CPU cpu5c-2-4 (2 vCPU, 4 GB) · runpod.App demo", "server-environment"],
      ["finetune", "task · GPU B200 · runpod.App demo", "tasklist"],
    ],
  );
  // Never "deployed" / "not deployed (env)": flash-ls keeps no deploy state for runpod.App.
  assert.doesNotMatch(queue.description ?? "", /deployed/);
  assert.match(task.tooltip ?? "", /^finetune \(task resource of runpod\.App demo, in demo\)\nHardware: GPU B200\n/);
  assert.match(queue.tooltip ?? "", /flash-ls does not deploy or call it/);
  // A click opens the declaration, a route its method's marker.
  assert.deepEqual(queue.location?.range.start, { line: 6, character: 0 });
  assert.deepEqual(
    api.children.map((route) => [route.label, route.description, route.location?.range.start.line]),
    [
      ["POST /generate", "generate()", 17],
      ["GET /status", "status()", 21],
    ],
  );
});

test("app API nodes get their own context values; runpod_flash nodes keep theirs", () => {
  const [demo, mixed] = treeModel(appApiEndpoints);
  assert.equal(demo.contextValue, APP_API_CONTEXT.app, "a project of runpod.App resources only");
  assert.equal(demo.description, "runpod.App demo");
  assert.deepEqual(
    demo.children.map((node) => node.contextValue),
    [APP_API_CONTEXT.endpoint, APP_API_CONTEXT.endpoint, APP_API_CONTEXT.endpoint],
  );
  assert.deepEqual(
    demo.children[1].children.map((node) => node.contextValue),
    [APP_API_CONTEXT.route, APP_API_CONTEXT.route],
  );
  // Both SDKs: the app deploys (its runpod_flash endpoints), the runpod_flash endpoint is callable.
  assert.equal(mixed.contextValue, "flash.app");
  assert.equal(mixed.description, "staging");
  const [flash, resource] = mixed.children;
  assert.equal(flash.contextValue, "flash.endpoint.callable");
  assert.equal(flash.description, "queue · GPU ADA_24 · not deployed (staging)");
  assert.equal(resource.contextValue, APP_API_CONTEXT.endpoint);
  assert.equal(resource.description, "queue · GPU ADA_24 · runpod.App mixed-app");
  assert.equal(isFlashEndpoint({ name: "old", kind: "queue" }), true, "an older server's entry has no sdk");
});

test("Deploy and Copy curl menus skip app API nodes; Copy curl from the palette does not offer them", () => {
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8"));
  const menus: { command: string; when: string }[] = manifest.contributes.menus["view/item/context"];
  const shown = (command: string, contextValue: string) =>
    menus.some((menu) => {
      const pattern = /viewItem =~ \/(.*)\//.exec(menu.when);
      return menu.command === command && pattern !== null && new RegExp(pattern[1].replace(/\\\\/g, "\\")).test(contextValue);
    });
  for (const contextValue of Object.values(APP_API_CONTEXT)) {
    assert.ok(!shown("flash-ls.deploy", contextValue), `no Deploy on ${contextValue}`);
    assert.ok(!shown("flash-ls.copyCurl", contextValue), `no Copy curl on ${contextValue}`);
  }
  for (const contextValue of ["flash.app", "flash.endpoint.callable", "flash.endpoint.unused"]) {
    assert.ok(shown("flash-ls.deploy", contextValue), `Deploy on ${contextValue}`);
  }
  for (const contextValue of ["flash.endpoint.callable", "flash.route"]) {
    assert.ok(shown("flash-ls.copyCurl", contextValue), `Copy curl on ${contextValue}`);
  }
  assert.deepEqual(requestTargets(appApiEndpoints, "/work/demo"), []);
  assert.deepEqual(
    requestTargets(appApiEndpoints).map((target) => target.label),
    ["flash-worker"],
  );
});
