import assert from "node:assert/strict";
import { test } from "node:test";
import { statusText, statusView } from "../src/status";

const staging = { appRoot: "/work/app", environment: "staging", source: "flash-ls env use" };

test("the status bar shows the current file's environment", () => {
  assert.equal(statusText("staging"), "$(cloud) flash: staging");
  assert.equal(statusText(null), "$(cloud) flash: no environment");
  const view = statusView({ current: staging, inTree: true, isPython: true, appName: "app" });
  assert.equal(view.visible, true);
  assert.equal(view.text, "$(cloud) flash: staging");
  assert.match(view.tooltip, /app: staging \(from flash-ls env use\)/);
});

test("an app with endpoints and no environment says so", () => {
  const view = statusView({ current: { ...staging, environment: null, source: null }, inTree: true, isPython: true });
  assert.equal(view.visible, true);
  assert.equal(view.text, "$(cloud) flash: no environment");
});

test("hidden for files of no Flash app, non-Python files, and when the server gave no answer", () => {
  assert.equal(statusView({ current: { ...staging, environment: null }, inTree: false, isPython: true }).visible, false);
  assert.equal(statusView({ current: staging, inTree: true, isPython: false }).visible, false);
  assert.equal(statusView({ current: undefined, inTree: true, isPython: true }).visible, false);
});

test("an app with an active environment shows it even before the endpoint tree lists it", () => {
  assert.equal(statusView({ current: staging, inTree: false, isPython: true }).visible, true);
});
