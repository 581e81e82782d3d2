import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import {
  LOG_LEVELS,
  RESTART_SETTINGS,
  SERVER_SETTINGS,
  SEVERITIES,
  affectsServer,
  initializationOptions,
  needsRestart,
  readerOf,
  serverSettings,
} from "../src/settings";

const root = path.resolve(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const properties: Record<string, Record<string, unknown>> = manifest.contributes.configuration.properties;

test("each flash.* setting reaches the server under its snake_case key", () => {
  const settings = serverSettings(
    readerOf({
      debounceMs: 250,
      select: ["FL1", " FL2 "],
      ignore: ["FL101"],
      severity: { FL101: "Warning" },
      codeLens: { enable: false },
      logLevel: "debug",
    }),
  );
  assert.deepEqual(settings, {
    debounce_ms: 250,
    log_level: "debug",
    select: ["FL1", "FL2"],
    ignore: ["FL101"],
    severity: { FL101: "warning" },
    code_lens: false,
  });
});

test("unset or empty settings are null (the app's [tool.flash-ls] decides; an empty select is not 'no rules')", () => {
  const settings = serverSettings(readerOf({ select: [], ignore: [], severity: {} }));
  assert.deepEqual(settings, {
    debounce_ms: null,
    log_level: null,
    select: null,
    ignore: null,
    severity: null,
    code_lens: true,
  });
  // Every key is there: the server lays workspace/configuration over initializationOptions key by key.
  assert.deepEqual(Object.keys(settings).sort(), ["code_lens", "debounce_ms", "ignore", "log_level", "select", "severity"]);
});

test("the defaults of package.json give the server's defaults", () => {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    defaults[key.replace(/^flash\./, "")] = schema.default;
  }
  const settings = serverSettings(readerOf(defaults));
  assert.equal(settings.debounce_ms, 100);
  assert.equal(settings.log_level, "warning");
  assert.equal(settings.code_lens, true);
  assert.equal(settings.select, null);
});

test("initializationOptions wrap the settings in the server's section", () => {
  const options = initializationOptions(readerOf({ debounceMs: 5 }));
  assert.deepEqual(Object.keys(options), ["flash-ls"]);
  assert.equal(options["flash-ls"].debounce_ms, 5);
});

test("only the interpreter and serverArgs restart the server; the others are sent to it", () => {
  const changed = (name: string) => (section: string) => section === name || name.startsWith(section + ".");
  assert.equal(needsRestart(changed("flash.interpreter")), true);
  assert.equal(needsRestart(changed("flash.serverArgs")), true);
  assert.equal(needsRestart(changed("flash.select")), false);
  assert.equal(affectsServer(changed("flash.select")), true);
  assert.equal(affectsServer(changed("flash.codeLens.enable")), true);
  assert.equal(affectsServer(changed("flash.interpreter")), false);
});

test("package.json describes every setting, with the values the server accepts", () => {
  for (const key of [...RESTART_SETTINGS, ...SERVER_SETTINGS, "flash.trace.server"]) {
    const schema = properties[key];
    assert.ok(schema, `${key} is contributed`);
    assert.ok(schema.markdownDescription || schema.description, `${key} is described`);
  }
  for (const [key, schema] of Object.entries(properties)) {
    assert.ok(schema.markdownDescription || schema.description, `${key} is described`);
  }
  const severity = properties["flash.severity"].additionalProperties as { enum: string[] };
  assert.deepEqual(severity.enum, [...SEVERITIES]);
  assert.deepEqual(properties["flash.logLevel"].enum, [...LOG_LEVELS]);
});
