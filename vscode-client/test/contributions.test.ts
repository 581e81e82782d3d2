import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { LENS_COMMANDS } from "../src/lenses";
import { ServerCommand } from "../src/protocol";

const root = path.resolve(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const contributed: { command: string; title: string; category?: string }[] = manifest.contributes.commands;
const source = fs.readFileSync(path.join(root, "src", "commands.ts"), "utf8");
const registered = new Set([...source.matchAll(/"(flash-ls\.[A-Za-z]+)"/g)].map((match) => match[1]));

test("the palette commands are the issue's, titled 'Flash: ...'", () => {
  const ids = contributed.map((command) => command.command);
  for (const id of [
    "flash-ls.build",
    "flash-ls.deploy",
    "flash-ls.switchEnvironment",
    "flash-ls.createEnvironment",
    "flash-ls.deleteEnvironment",
    "flash-ls.previewManifest",
    "flash-ls.checkWorkspace",
    "flash-ls.showLogs",
    "flash-ls.restartServer",
    "flash-ls.copyCurl",
  ]) {
    assert.ok(ids.includes(id), `${id} is contributed`);
  }
  for (const command of contributed) {
    assert.equal(command.category, "Flash", `${command.command} shows as "Flash: ${command.title}"`);
  }
});

test("every contributed command is registered, and none takes a server command id", () => {
  const serverIds = new Set<string>(Object.values(ServerCommand));
  for (const command of contributed) {
    assert.ok(registered.has(command.command), `${command.command} is registered in commands.ts`);
    assert.ok(!serverIds.has(command.command) && !command.command.startsWith("flash."), `${command.command} is not a server id`);
  }
  for (const target of Object.values(LENS_COMMANDS)) {
    assert.ok(contributed.some((command) => command.command === target), `lens target ${target} is contributed`);
  }
});

test("the Flash view sits in the explorer and its menus use the tree's context values", () => {
  assert.ok(manifest.contributes.views.explorer.some((view: { id: string }) => view.id === "flashEndpoints"));
  const menus: { command: string; when: string }[] = manifest.contributes.menus["view/item/context"];
  const matches = (command: string, contextValue: string) =>
    menus.some((menu) => {
      if (menu.command !== command) {
        return false;
      }
      const pattern = /viewItem =~ \/(.*)\//.exec(menu.when);
      return pattern !== null && new RegExp(pattern[1].replace(/\\\\/g, "\\")).test(contextValue);
    });
  assert.ok(matches("flash-ls.deploy", "flash.endpoint.callable"));
  assert.ok(matches("flash-ls.copyCurl", "flash.endpoint.callable"));
  assert.ok(matches("flash-ls.copyCurl", "flash.route"));
  assert.ok(!matches("flash-ls.copyCurl", "flash.endpoint.unused"), "an unused endpoint has nothing to call");
  assert.ok(!matches("flash-ls.deploy", "flash.route"));
});

test("package.json can be packaged: publisher, license, engines, main, the screenshot", () => {
  assert.ok(manifest.publisher);
  assert.ok(manifest.license);
  // No public repository yet: the .vsix carries the README's screenshot itself (media/).
  assert.match(manifest.scripts.package, /--allow-missing-repository --no-rewrite-relative-links/);
  assert.match(manifest.scripts["vscode:prepublish"], /--media/);
  assert.equal(manifest.engines.vscode, "^1.100.0");
  assert.equal(manifest.main, "./out/extension.js");
  assert.equal(manifest.extensionDependencies, undefined, "the Python extension is optional");
});
