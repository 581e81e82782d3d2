// Entry point: the server, the status bar item, the "Flash" view, the commands and the test hook.

import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { EndpointsView } from "./endpointsView";
import { Debouncer, TestHook } from "./hook";
import { ManifestDocuments } from "./manifest";
import { PythonExtension } from "./python";
import { Server } from "./server";
import { Environments, StatusBar } from "./statusBar";
import { environmentsOf } from "./tree";
import { Notifier } from "./ui";

const STATE_DELAY_MS = 300;
const SEVERITIES = ["error", "warning", "info", "hint"] as const;

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Flash", { log: true });
  const hook = TestHook.fromEnv();
  const notifier = new Notifier(log, hook);
  const python = new PythonExtension(log);
  server = new Server(log, notifier, python, hook);
  const environments = new Environments();
  const tree = new EndpointsView(server, log);
  const status = new StatusBar(server, environments, tree);
  const manifests = new ManifestDocuments();
  const running = server;

  context.subscriptions.push(
    log,
    python,
    environments,
    tree,
    status,
    manifests,
    { dispose: () => void running.dispose() },
    running.onActiveEnvironment((params) => {
      if (params?.appRoot) {
        environments.set(params.appRoot, params.environment ?? null, params.source ?? null);
      }
    }),
    tree.onDidChangeModel(() => {
      for (const [root, environment] of Object.entries(environmentsOf(tree.result))) {
        const known = environments.get(root);
        if (known === undefined || known.environment !== environment) {
          environments.set(root, environment, known?.source ?? null);
        }
      }
    }),
    ...registerCommands({ server, notifier, tree, status, environments, manifests, hook }),
  );

  if (hook !== undefined) {
    log.info(`Test hook: writing to ${hook.file}`);
    context.subscriptions.push(...stateHook(hook, { server, status, tree, environments }));
  }

  void vscode.commands.executeCommand("setContext", "flash-ls.serverRunning", false);
  void server.start(); // commands wait for it (Server.request)
}

export async function deactivate(): Promise<void> {
  const stopping = server;
  server = undefined;
  await stopping?.dispose();
}

/** `state` lines for the test hook: written ~300 ms after diagnostics, status, tree, lenses or environments change. */
function stateHook(
  hook: TestHook,
  parts: { server: Server; status: StatusBar; tree: EndpointsView; environments: Environments },
): vscode.Disposable[] {
  const { server: client, status, tree, environments } = parts;

  async function codeLenses(): Promise<Record<string, unknown[]>> {
    const found: Record<string, unknown[]> = {};
    const seen = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      const uri = editor.document.uri;
      if (seen.has(uri.toString())) {
        continue;
      }
      seen.add(uri.toString());
      try {
        const lenses =
          (await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 100)) ?? [];
        found[uri.toString()] = lenses.map((lens) => ({
          line: lens.range.start.line,
          title: lens.command?.title ?? "",
          command: lens.command?.command ?? "",
        }));
      } catch {
        found[uri.toString()] = [];
      }
    }
    return found;
  }

  function diagnostics(): Record<string, unknown[]> {
    const found: Record<string, unknown[]> = {};
    for (const [uri, items] of vscode.languages.getDiagnostics()) {
      const ours = items.filter((diagnostic) => diagnostic.source === "flash-ls");
      if (ours.length === 0) {
        continue;
      }
      found[uri.toString()] = ours.map((diagnostic) => ({
        code:
          typeof diagnostic.code === "object" && diagnostic.code !== null
            ? String(diagnostic.code.value)
            : diagnostic.code === undefined
              ? null
              : String(diagnostic.code),
        line: diagnostic.range.start.line,
        character: diagnostic.range.start.character,
        message: diagnostic.message,
        severity: SEVERITIES[diagnostic.severity] ?? "error",
      }));
    }
    return found;
  }

  const writer = new Debouncer(STATE_DELAY_MS, async () => {
    const lenses = await codeLenses();
    hook.writeState({
      diagnostics: diagnostics(),
      status: { text: status.view.text, visible: status.view.visible },
      codeLenses: lenses,
      tree: tree.nodes,
      activeEnvironment: environments.toJSON(),
    });
  });
  const schedule = () => writer.schedule();
  return [
    { dispose: () => writer.dispose() },
    vscode.languages.onDidChangeDiagnostics(schedule),
    vscode.window.onDidChangeVisibleTextEditors(schedule),
    status.onDidChange(schedule),
    tree.onDidChangeModel(schedule),
    environments.onDidChange(schedule),
    client.onLensesChanged(schedule),
    client.onDidStart(schedule),
  ];
}
