// The status bar item `$(cloud) flash: staging`: the active environment of the current file's app.

import * as vscode from "vscode";
import { ActiveEnvironment, ServerCommand, rootKey } from "./protocol";
import { Server } from "./server";
import { StatusView, statusView } from "./status";
import { findApp } from "./tree";
import { EndpointsView } from "./endpointsView";

/** The active environment of each app, from notifications, `flash.env.*` answers and the tree. */
export class Environments implements vscode.Disposable {
  private readonly values = new Map<string, { environment: string | null; source: string | null }>();
  private readonly changed = new vscode.EventEmitter<string>();
  readonly onDidChange = this.changed.event;

  set(appRoot: string, environment: string | null, source: string | null = null): void {
    const key = rootKey(appRoot);
    const before = this.values.get(key);
    if (before && before.environment === environment && before.source === source) {
      return;
    }
    this.values.set(key, { environment, source });
    this.changed.fire(key);
  }

  get(appRoot: string): { environment: string | null; source: string | null } | undefined {
    return this.values.get(rootKey(appRoot));
  }

  clear(): void {
    this.values.clear();
    this.changed.fire("");
  }

  /** `{app root: environment}` for the test hook. */
  toJSON(): Record<string, string | null> {
    return Object.fromEntries([...this.values].map(([key, value]) => [key, value.environment]));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function isPythonFile(document: vscode.TextDocument): boolean {
  return document.uri.scheme === "file" && (document.languageId === "python" || document.uri.path.endsWith(".py"));
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** The app root of the current file (as `flash.env.current` answered), if any. */
  private appRoot: string | undefined;
  private isPython = false;
  private sequence = 0;
  view: StatusView = { visible: false, text: "", tooltip: "" };

  constructor(
    private readonly server: Server,
    private readonly environments: Environments,
    private readonly tree: EndpointsView,
  ) {
    this.item = vscode.window.createStatusBarItem("flash-ls.environment", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Flash environment";
    this.item.command = "flash-ls.switchEnvironment";
    this.disposables.push(
      this.item,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor(() => void this.refresh()),
      environments.onDidChange(() => this.render()),
      tree.onDidChangeModel(() => this.render()),
      server.onDidStart(() => void this.refresh()),
      server.onRunningChanged((running) => (running ? undefined : this.render())),
    );
  }

  /** The app root of the last Python file that belonged to one. */
  lastAppRoot: string | undefined;

  /** The app root of the current file, when the status bar shows one. */
  get currentAppRoot(): string | undefined {
    return this.view.visible ? this.appRoot : undefined;
  }

  /** Asks the server which app the current file belongs to, and its environment. */
  async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      return; // focus in a panel: keep what is shown
    }
    const sequence = ++this.sequence;
    this.isPython = isPythonFile(editor.document);
    if (!this.isPython || !this.server.running) {
      this.appRoot = undefined;
      this.render();
      return;
    }
    let current: ActiveEnvironment | undefined;
    try {
      current = await this.server.request<ActiveEnvironment>(ServerCommand.envCurrent, {
        uri: editor.document.uri.toString(),
      });
    } catch {
      current = undefined;
    }
    if (sequence !== this.sequence) {
      return; // another editor meanwhile
    }
    this.appRoot = current?.appRoot;
    if (current?.appRoot) {
      this.lastAppRoot = current.appRoot;
      this.environments.set(current.appRoot, current.environment ?? null, current.source ?? null);
    }
    this.render();
  }

  render(): void {
    const known = this.appRoot !== undefined ? this.environments.get(this.appRoot) : undefined;
    const app = this.appRoot !== undefined ? findApp(this.tree.result, this.appRoot) : undefined;
    const view = statusView({
      isPython: this.isPython && this.server.running,
      current:
        this.appRoot !== undefined && known !== undefined
          ? { appRoot: this.appRoot, environment: known.environment, source: known.source }
          : undefined,
      inTree: app !== undefined && (app.endpoints ?? []).length > 0,
      appName: app?.name,
    });
    if (view.visible) {
      this.item.text = view.text;
      this.item.tooltip = view.tooltip;
      this.item.show();
    } else {
      this.item.hide();
    }
    if (JSON.stringify(view) !== JSON.stringify(this.view)) {
      this.view = view;
      this.changed.fire();
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
