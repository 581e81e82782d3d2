import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { expandVariables, pipInstallCommand, resolveInterpreter, serverCommand } from "../src/interpreter";
import { which } from "../src/which";

const nothingOnPath = () => undefined;

test("the flash.interpreter setting wins, with ${workspaceFolder} expanded", () => {
  const choice = resolveInterpreter({
    setting: "${workspaceFolder}/.venv/bin/python",
    workspaceFolder: "/work/app",
    pythonExtension: "/usr/bin/python3.12",
    which: () => "/usr/bin/python3",
  });
  assert.equal(choice.python, "/work/app/.venv/bin/python");
  assert.equal(choice.source, "setting");
  assert.match(choice.reason, /flash\.interpreter/);
});

test("a relative interpreter path is taken from the workspace folder", () => {
  const choice = resolveInterpreter({ setting: ".venv/bin/python", workspaceFolder: "/work/app", which: nothingOnPath });
  assert.equal(choice.python, path.join("/work/app", ".venv/bin/python"));
});

test("a bare interpreter name is left to the PATH", () => {
  const choice = resolveInterpreter({ setting: "python3.12", workspaceFolder: "/work/app", which: nothingOnPath });
  assert.equal(choice.python, "python3.12");
});

test("without the setting, the Python extension's active interpreter", () => {
  for (const setting of [undefined, "", "   "]) {
    const choice = resolveInterpreter({ setting, pythonExtension: "/envs/flash/bin/python", which: () => "/usr/bin/python3" });
    assert.equal(choice.python, "/envs/flash/bin/python");
    assert.equal(choice.source, "python-extension");
  }
});

test("without the setting nor the Python extension, python3 on PATH", () => {
  const choice = resolveInterpreter({ which: (name) => (name === "python3" ? "/usr/bin/python3" : undefined) });
  assert.deepEqual(choice, { python: "/usr/bin/python3", source: "path", reason: "python3 on PATH" });
  const onlyPython = resolveInterpreter({ which: (name) => (name === "python" ? "/usr/bin/python" : undefined) });
  assert.equal(onlyPython.python, "/usr/bin/python");
});

test("nothing found: python3 anyway, and the reason says so", () => {
  const choice = resolveInterpreter({ which: nothingOnPath });
  assert.equal(choice.python, "python3");
  assert.match(choice.reason, /not found/);
});

test("variables: ${env:NAME}, ${userHome}, ~ and ${workspaceFolderBasename}", () => {
  assert.equal(expandVariables("${env:VENV}/bin/python", undefined, { VENV: "/v" }), "/v/bin/python");
  assert.equal(expandVariables("~/py/bin/python", undefined, {}, "/home/me"), "/home/me/py/bin/python");
  assert.equal(expandVariables("${userHome}/x", undefined, {}, "/home/me"), "/home/me/x");
  assert.equal(expandVariables("/envs/${workspaceFolderBasename}", "/work/app"), "/envs/app");
  assert.equal(expandVariables("${workspaceFolder}/python", undefined), "${workspaceFolder}/python");
});

test("the server runs as `python -m flash_ls serve` plus flash.serverArgs (the client adds --stdio)", () => {
  assert.deepEqual(serverCommand("/usr/bin/python3"), { command: "/usr/bin/python3", args: ["-m", "flash_ls", "serve"] });
  assert.deepEqual(serverCommand("python3", ["-v", ""]).args, ["-m", "flash_ls", "serve", "-v"]);
});

test("the install command quotes an interpreter path with spaces for the user's shell", () => {
  assert.equal(pipInstallCommand("/usr/bin/python3"), "/usr/bin/python3 -m pip install flash-ls");
  assert.equal(pipInstallCommand("/opt/my env/bin/python", "/bin/bash"), "'/opt/my env/bin/python' -m pip install flash-ls");
  assert.equal(
    pipInstallCommand("C:\\Program Files\\Python\\python.exe", "C:\\Program Files\\PowerShell\\7\\pwsh.exe"),
    "& 'C:\\Program Files\\Python\\python.exe' -m pip install flash-ls",
  );
  assert.equal(
    pipInstallCommand("C:\\Program Files\\Python\\python.exe", "C:\\Windows\\System32\\cmd.exe"),
    '"C:\\Program Files\\Python\\python.exe" -m pip install flash-ls',
  );
});

test("which finds an executable on PATH and skips files that are not executable", { skip: process.platform === "win32" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flash-which-"));
  try {
    const plain = path.join(dir, "python3");
    fs.writeFileSync(plain, "#!/bin/sh\n");
    fs.chmodSync(plain, 0o644);
    assert.equal(which("python3", { PATH: dir }), undefined);
    fs.chmodSync(plain, 0o755);
    assert.equal(which("python3", { PATH: ["/nonexistent", dir].join(path.delimiter) }), plain);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
