import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Debouncer, TestHook } from "../src/hook";

function lines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

test("no FLASH_LS_TEST_HOOK: no hook", () => {
  assert.equal(TestHook.fromEnv({}), undefined);
  assert.equal(TestHook.fromEnv({ FLASH_LS_TEST_HOOK: "" }), undefined);
});

test("the hook appends one JSON object per line, readable as soon as write returns", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flash-hook-"));
  const file = path.join(dir, "events.jsonl");
  try {
    const hook = TestHook.fromEnv({ FLASH_LS_TEST_HOOK: file })!;
    hook.write({ event: "ready" });
    hook.write({ event: "clipboard", text: "curl -X POST 'x'\n" });
    hook.write({ event: "command", command: "flash-ls.deploy", ok: false, error: "no API key" });
    assert.deepEqual(lines(file), [
      { event: "ready" },
      { event: "clipboard", text: "curl -X POST 'x'\n" },
      { event: "command", command: "flash-ls.deploy", ok: false, error: "no API key" },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a state line is written only when the state changed", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flash-hook-"));
  const file = path.join(dir, "events.jsonl");
  try {
    const hook = new TestHook(file, undefined);
    assert.equal(hook.writeState({ status: { text: "a", visible: true } }), true);
    assert.equal(hook.writeState({ status: { text: "a", visible: true } }), false);
    assert.equal(hook.writeState({ status: { text: "b", visible: true } }), true);
    assert.deepEqual(lines(file).map((line) => line.event), ["state", "state"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("modal confirmations: yes or no without a dialog only when FLASH_LS_TEST_CONFIRM says so", () => {
  assert.equal(new TestHook("x", "yes").confirmation, true);
  assert.equal(new TestHook("x", "no").confirmation, false);
  assert.equal(new TestHook("x", undefined).confirmation, undefined);
  assert.equal(new TestHook("x", "maybe").confirmation, undefined);
});

test("a burst of changes gives one call after the delay (restarts, state lines)", async () => {
  let calls = 0;
  const debouncer = new Debouncer(30, () => {
    calls += 1;
  });
  debouncer.schedule();
  debouncer.schedule();
  await new Promise((resolve) => setTimeout(resolve, 10));
  debouncer.schedule();
  assert.equal(calls, 0);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(calls, 1);
  debouncer.schedule();
  debouncer.dispose();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls, 1, "disposed: no call");
});
