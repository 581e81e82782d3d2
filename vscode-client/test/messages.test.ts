import assert from "node:assert/strict";
import { test } from "node:test";
import { mapLensCommand } from "../src/lenses";
import {
  RecentMessages,
  buildSummary,
  checkSummary,
  copiedMessage,
  deploySummary,
  errorText,
  isCancelled,
} from "../src/messages";
import { field } from "../src/protocol";
import { deployResult } from "./fixtures";

test("Copy curl says which environment the URL is for, or that it is a placeholder", () => {
  const request = { endpoint: "gpu-worker", environment: "staging", deployed: true, curl: "curl ..." };
  assert.equal(copiedMessage(request), "Copied curl for gpu-worker (staging)");
  assert.equal(
    copiedMessage({ ...request, deployed: false }),
    "Copied curl for gpu-worker (not deployed: placeholder URL)",
  );
  assert.equal(
    copiedMessage({ ...request, environment: null, deployed: false }),
    "Copied curl for gpu-worker (not deployed: placeholder URL)",
  );
});

test("after a deploy: created / updated / unchanged counts, like the CLI", () => {
  assert.deepEqual(deploySummary(deployResult), {
    severity: "info",
    text: "Deployed app to staging: 1 created, 1 updated, 1 unchanged",
  });
  const camel = { ...deployResult, artifactUnchanged: true, warnings: ["volume x is new"] };
  assert.deepEqual(deploySummary(camel), {
    severity: "warning",
    text: "Deployed app to staging: 1 created, 1 updated, 1 unchanged (artifact unchanged); 1 warning: volume x is new",
  });
  const removed = { ...deployResult, removed: [{ name: "old", action: "remove" }], pruned: true };
  assert.match(deploySummary(removed).text, /, 1 deleted$/);
});

test("a declined or empty deploy says so", () => {
  assert.equal(deploySummary({ deployed: false, cancelled: true, environment: "production" }).text, "Deploy to production cancelled");
  const empty = deploySummary({ ...deployResult, endpoints: [], warnings: ["no deployable resources; nothing was deployed"] });
  assert.equal(empty.severity, "warning");
  assert.match(empty.text, /Nothing deployed/);
  assert.match(deploySummary({ ...deployResult, dry_run: true }).text, /^Plan for app in staging \(dry run\): 1 to create/);
});

test("build and check summaries", () => {
  assert.deepEqual(buildSummary({ artifact_path: "/w/app/.flash/artifact.tar.gz", size_bytes: 3 * 1024 * 1024, warnings: [] }), {
    severity: "info",
    text: "Built artifact.tar.gz (3.0 MB)",
  });
  assert.equal(buildSummary({ artifactPath: "a.tgz", sizeBytes: 2048, warnings: ["w1", "w2"] }).text, "Built a.tgz (2 KB); 2 warnings (see the log)");
  assert.equal(checkSummary({ apps: [{}, {}], counts: { error: 1, warning: 2, info: 0, hint: 0 } }).text, "Checked 2 apps: 1 error, 2 warnings");
  assert.equal(checkSummary({ apps: [{}], counts: { error: 0, warning: 0, info: 0, hint: 0 } }).text, "Checked 1 app: no problems");
});

test("a failure is shown in one line; a cancelled request is not a failure", () => {
  assert.equal(errorText(new Error("Runpod API key rejected (401)\nTraceback ...")), "Runpod API key rejected (401)");
  assert.equal(errorText({ code: -32803, message: "\n  no API key: run `flash-ls login`" }), "no API key: run `flash-ls login`");
  assert.equal(isCancelled({ code: -32800, message: "flash.deploy was cancelled" }), true);
  assert.equal(isCancelled({ code: -32803, message: "x" }), false);
  assert.equal(isCancelled(new Error("x")), false);
});

test("an error the server already showed is not shown again", () => {
  let now = 1000;
  const recent = new RecentMessages(10_000, () => now);
  recent.add("flash.deploy failed: boom (see the flash-ls log)");
  assert.equal(recent.has("flash.deploy failed: boom"), true);
  assert.equal(recent.has("Runpod API key rejected (401)"), false);
  recent.add("Runpod API key rejected (401): run `flash-ls login`");
  assert.equal(recent.has("Runpod API key rejected (401): run `flash-ls login`"), true);
  now += 20_000;
  assert.equal(recent.has("flash.deploy failed: boom"), false, "only recent messages count");
});

test("code lenses run the extension's Deploy and Copy curl; other commands stay the server's", () => {
  const argument = { uri: "file:///work/app/worker.py", endpoint: "gpu-worker" };
  assert.deepEqual(mapLensCommand({ title: "Deploy", command: "flash.deploy", arguments: [argument] }), {
    title: "Deploy",
    command: "flash-ls.deploy",
    arguments: [argument],
  });
  assert.equal(mapLensCommand({ title: "Copy curl", command: "flash.endpoint.request", arguments: [argument] }).command, "flash-ls.copyCurl");
  const show = { title: "Show manifest entry", command: "flash.manifest.show", arguments: [argument] };
  assert.deepEqual(mapLensCommand(show), show);
  assert.deepEqual(mapLensCommand({ title: "queue · A100", command: "" }), { title: "queue · A100", command: "" });
});

test("answers are read whether the server spells fields camelCase or snake_case", () => {
  assert.equal(field({ size_bytes: 3 }, "sizeBytes"), 3);
  assert.equal(field({ sizeBytes: 4, size_bytes: 3 }, "sizeBytes"), 4);
  assert.equal(field(null, "x"), undefined);
});
