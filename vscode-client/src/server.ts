// The flash-ls language server: which Python runs it, the check that flash-ls is installed there,
// the language client (settings, code lens mapping, messages), coalesced restarts.

import { execFile } from "node:child_process";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CodeLensRequest,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  MessageActionItem,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  ShowMessageRequest,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import { Debouncer, TestHook } from "./hook";
import { IMPORT_CHECK_ARGS, InterpreterChoice, pipInstallCommand, resolveInterpreter, serverCommand } from "./interpreter";
import { mapLensCommand } from "./lenses";
import { firstLine } from "./messages";
import { ActiveEnvironment, EndpointsChanged, Notification, SETTINGS_SECTION } from "./protocol";
import { PythonExtension } from "./python";
import { affectsServer, initializationOptions, needsRestart, serverSettings } from "./settings";
import { Notifier } from "./ui";
import { which } from "./which";

export const CLIENT_ID = "flash"; // the client reads `flash.trace.server`
const CLIENT_NAME = "Flash";
const RESTART_DELAY_MS = 500;
const RUNNING_CONTEXT = "flash-ls.serverRunning";

type ImportCheck = { ok: true; version: string } | { ok: false; missing: boolean; message: string };

/** `python -c "import flash_ls"`: installed (its version), not installed, or no such interpreter. */
function checkImport(python: string, cwd: string | undefined): Promise<ImportCheck> {
  return new Promise((resolve) => {
    execFile(python, IMPORT_CHECK_ARGS, { cwd, timeout: 60_000, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) {
        resolve({ ok: true, version: stdout.trim() });
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES") {
        resolve({ ok: false, missing: false, message: `cannot run ${python} (${code})` });
        return;
      }
      const lines = stderr.trim().split(/\r?\n/);
      resolve({ ok: false, missing: true, message: lines[lines.length - 1] || firstLine(error.message) });
    });
  });
}

function flashConfig(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("flash", scope ?? vscode.workspace.workspaceFolders?.[0]?.uri);
}

export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private choice: InterpreterChoice | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly restarts: Debouncer;
  private readonly offeredInstall = new Set<string>();
  private readonly lensSignatures = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private stopped = false;

  private readonly started = new vscode.EventEmitter<void>();
  private readonly activeEnvironment = new vscode.EventEmitter<ActiveEnvironment>();
  private readonly endpointsChanged = new vscode.EventEmitter<EndpointsChanged>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly runningChanged = new vscode.EventEmitter<boolean>();
  /** The client is running (after the first start and after each restart). */
  readonly onDidStart = this.started.event;
  readonly onActiveEnvironment = this.activeEnvironment.event;
  readonly onEndpointsChanged = this.endpointsChanged.event;
  /** The code lenses of a document differ from the last ones the server gave for it. */
  readonly onLensesChanged = this.lensesChanged.event;
  readonly onRunningChanged = this.runningChanged.event;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly notifier: Notifier,
    private readonly python: PythonExtension,
    private readonly hook: TestHook | undefined,
  ) {
    this.restarts = new Debouncer(RESTART_DELAY_MS, () => this.restart());
    this.disposables.push(
      this.started,
      this.activeEnvironment,
      this.endpointsChanged,
      this.lensesChanged,
      this.runningChanged,
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
      python.onDidChangeInterpreter(() => this.interpreterChanged()),
    );
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  get interpreter(): InterpreterChoice | undefined {
    return this.choice;
  }

  /** Starts the server (queued after a start or stop under way). */
  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  /** Stops and starts the server now. */
  restart(): Promise<void> {
    this.restarts.dispose();
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Restarts after RESTART_DELAY_MS; more calls within it give one restart. */
  scheduleRestart(reason: string): void {
    this.log.info(`Restarting the server (${reason})`);
    this.restarts.schedule();
  }

  /** Runs a server command (`workspace/executeCommand`) with one JSON object argument. */
  async request<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.queue; // a start or restart under way
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      throw new Error("The flash-ls server is not running (Flash: Show Logs tells why)");
    }
    return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] })) as T;
  }

  /** Asks VS Code for fresh code lenses (after `flash.codeLens.enable` changes). */
  refreshCodeLenses(): void {
    const feature = this.client?.getFeature(CodeLensRequest.method);
    const providers = new Set(vscode.workspace.textDocuments.map((document) => feature?.getProvider(document)));
    for (const provider of providers) {
      provider?.onDidChangeCodeLensEmitter.fire();
    }
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  private async resolveChoice(): Promise<InterpreterChoice> {
    const folder = this.folder();
    const setting = flashConfig(folder?.uri).get<string>("interpreter");
    const fromExtension = setting?.trim() ? undefined : await this.python.interpreter(folder?.uri);
    return resolveInterpreter({
      setting,
      workspaceFolder: folder?.uri.fsPath,
      pythonExtension: fromExtension,
      which: (name) => which(name),
      env: process.env,
      home: os.homedir(),
      platform: process.platform,
    });
  }

  private async doStart(): Promise<void> {
    if (this.stopped || this.client !== undefined) {
      return;
    }
    const folder = this.folder();
    const choice = await this.resolveChoice();
    this.choice = choice;
    this.log.info(`Interpreter: ${choice.python} (${choice.reason})`);
    const cwd = folder?.uri.fsPath;
    const check = await checkImport(choice.python, cwd);
    if (!check.ok) {
      this.log.error(`flash-ls cannot start with ${choice.python}: ${check.message}`);
      this.offerInstall(choice.python, check);
      return;
    }
    this.log.info(`flash-ls ${check.version} in ${choice.python}`);
    const config = flashConfig(folder?.uri);
    const { command, args } = serverCommand(choice.python, config.get<string[]>("serverArgs") ?? []);
    const executable = { command, args, transport: TransportKind.stdio, options: { cwd, env: process.env } };
    const serverOptions: ServerOptions = { run: executable, debug: executable };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions());
    this.client = client;
    this.lensSignatures.clear();
    client.onNotification(Notification.activeEnvironment, (params: ActiveEnvironment) =>
      this.activeEnvironment.fire(params),
    );
    client.onNotification(Notification.endpointsChanged, (params: EndpointsChanged) =>
      this.endpointsChanged.fire(params ?? { roots: [] }),
    );
    // The server's messages go through the notifier (test hook, Show Logs button, and a
    // command's error is not shown twice); its questions become modal confirmations.
    client.onNotification(ShowMessageNotification.type, (params) => {
      if (params.type === MessageType.Error || params.type === MessageType.Warning) {
        this.notifier.failure(params.message, params.type === MessageType.Error ? "error" : "warning");
      } else {
        void this.notifier.show("info", params.message);
      }
    });
    client.onRequest(ShowMessageRequest.type, async (params) => this.answerQuestion(params));
    client.onDidChangeState((event) => {
      const running = event.newState === State.Running;
      void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT, running);
      this.runningChanged.fire(running);
    });
    this.log.info(`Starting ${command} ${args.join(" ")}`);
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The flash-ls server did not start: ${String(error)}`);
      this.notifier.failure(`The flash-ls server did not start: ${firstLine(String(error instanceof Error ? error.message : error))}`);
      this.client = undefined;
      void client.dispose().catch(() => undefined);
      return;
    }
    void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT, true);
    this.hook?.write({ event: "ready" });
    this.started.fire();
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    try {
      await client.dispose(3000);
    } catch (error) {
      this.log.warn(`Stopping the server: ${String(error)}`);
    }
    void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT, false);
    this.runningChanged.fire(false);
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: this.log,
      // vscode-languageclient traces when this channel's log level is Trace; `flash.trace.server`
      // chooses messages or verbose.
      traceOutputChannel: this.traceChannel(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: "flash-ls",
      initializationOptions: () => initializationOptions(flashConfig()),
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answers: unknown[] = [];
            for (const item of params.items) {
              if (item.section === SETTINGS_SECTION) {
                const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
                answers.push(serverSettings(flashConfig(scope)));
                continue;
              }
              const answer = await next({ items: [item] }, token);
              answers.push(Array.isArray(answer) ? answer[0] : null);
            }
            return answers;
          },
        },
        provideCodeLenses: async (document, token, next) => {
          if (!flashConfig(document.uri).get<boolean>("codeLens.enable", true)) {
            this.noteLenses(document.uri, []);
            return [];
          }
          const lenses = (await next(document, token)) ?? [];
          for (const lens of lenses) {
            if (lens.command) {
              lens.command = mapLensCommand(lens.command);
            }
          }
          this.noteLenses(document.uri, lenses);
          return lenses;
        },
        resolveCodeLens: async (lens, token, next) => {
          const resolved = (await next(lens, token)) ?? lens;
          if (resolved.command) {
            resolved.command = mapLensCommand(resolved.command);
          }
          return resolved;
        },
      },
    };
  }

  private trace: vscode.LogOutputChannel | undefined;

  private traceChannel(): vscode.LogOutputChannel {
    if (this.trace === undefined) {
      this.trace = vscode.window.createOutputChannel("Flash Trace", { log: true });
      this.disposables.push(this.trace);
    }
    return this.trace;
  }

  private noteLenses(uri: vscode.Uri, lenses: readonly vscode.CodeLens[]): void {
    if (this.hook === undefined) {
      return;
    }
    const signature = JSON.stringify(
      lenses.map((lens) => [lens.range.start.line, lens.command?.title ?? "", lens.command?.command ?? ""]),
    );
    const key = uri.toString();
    if (this.lensSignatures.get(key) !== signature) {
      this.lensSignatures.set(key, signature);
      this.lensesChanged.fire();
    }
  }

  /** `window/showMessageRequest`: a yes/no question (two actions, one "Cancel") is a modal dialog. */
  private async answerQuestion(params: {
    type: MessageType;
    message: string;
    actions?: MessageActionItem[];
  }): Promise<MessageActionItem | null> {
    const actions = params.actions ?? [];
    const cancel = actions.find((action) => /^cancel$/i.test(action.title));
    const others = actions.filter((action) => action !== cancel);
    if (cancel !== undefined && others.length === 1) {
      return (await this.notifier.confirm(params.message, others[0].title)) ? others[0] : cancel;
    }
    const severity = params.type === MessageType.Error ? "error" : params.type === MessageType.Warning ? "warning" : "info";
    const picked = await this.notifier.show(severity, params.message, ...actions.map((action) => action.title));
    return actions.find((action) => action.title === picked) ?? null;
  }

  private offerInstall(python: string, check: Extract<ImportCheck, { ok: false }>): void {
    void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT, false);
    if (this.offeredInstall.has(python)) {
      return;
    }
    this.offeredInstall.add(python);
    if (!check.missing) {
      this.notifier.failure(
        `Cannot run the Python interpreter ${python}: set flash.interpreter or select an interpreter in the Python extension`,
      );
      return;
    }
    const install = "Install flash-ls";
    void this.notifier
      .show("error", `flash-ls is not installed in ${python} (${check.message})`, install)
      .then((picked) => {
        if (picked === install) {
          void this.installInTerminal(python);
        }
      });
  }

  /** Runs pip in a terminal; restarts the server when it succeeds (or when the terminal closes). */
  private async installInTerminal(python: string): Promise<void> {
    const terminal = vscode.window.createTerminal({ name: "flash-ls: install", cwd: this.folder()?.uri });
    terminal.show();
    const command = pipInstallCommand(python, vscode.env.shell);
    this.log.info(`Installing flash-ls: ${command}`);
    const integration = terminal.shellIntegration ?? (await this.shellIntegration(terminal, 3000));
    const restartUnlessRunning = () => {
      if (!this.running) {
        this.offeredInstall.delete(python);
        this.scheduleRestart("flash-ls installed");
      }
    };
    const closed = vscode.window.onDidCloseTerminal((gone) => {
      if (gone === terminal) {
        closed.dispose();
        restartUnlessRunning();
      }
    });
    this.disposables.push(closed);
    if (integration === undefined) {
      terminal.sendText(command, true);
      return;
    }
    const execution = integration.executeCommand(command);
    const ended = vscode.window.onDidEndTerminalShellExecution((event) => {
      if (event.execution === execution) {
        ended.dispose();
        if (event.exitCode === 0) {
          restartUnlessRunning();
        }
      }
    });
    this.disposables.push(ended);
  }

  private shellIntegration(terminal: vscode.Terminal, timeoutMs: number): Promise<vscode.TerminalShellIntegration | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        listener.dispose();
        resolve(undefined);
      }, timeoutMs);
      const listener = vscode.window.onDidChangeTerminalShellIntegration((event) => {
        if (event.terminal === terminal) {
          clearTimeout(timer);
          listener.dispose();
          resolve(event.shellIntegration);
        }
      });
    });
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration("flash")) {
      return;
    }
    const affects = (section: string) => event.affectsConfiguration(section);
    if (needsRestart(affects)) {
      this.scheduleRestart("settings changed");
      return;
    }
    const client = this.client;
    if (client?.isRunning() && affectsServer(affects)) {
      // The server asks for section flash-ls again (workspace/configuration); the settings come
      // along for a server that does not.
      void client
        .sendNotification("workspace/didChangeConfiguration", {
          settings: { [SETTINGS_SECTION]: serverSettings(flashConfig()) },
        })
        .catch((error: unknown) => this.log.warn(`didChangeConfiguration: ${String(error)}`));
    }
    if (event.affectsConfiguration("flash.codeLens.enable")) {
      this.refreshCodeLenses();
    }
  }

  private async interpreterChanged(): Promise<void> {
    if (flashConfig().get<string>("interpreter")?.trim()) {
      return; // the setting wins over the Python extension
    }
    const choice = await this.resolveChoice();
    if (choice.python !== this.choice?.python || !this.running) {
      this.scheduleRestart(`the Python extension's interpreter is now ${choice.python}`);
    }
  }

  async dispose(): Promise<void> {
    this.stopped = true;
    this.restarts.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    await this.enqueue(() => this.doStop());
  }
}
