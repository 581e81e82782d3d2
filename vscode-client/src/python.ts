// The Python extension (ms-python.python), when it is installed: its active interpreter and its
// changes. Not a dependency: without it, `flash.interpreter` or python3 on PATH.

import * as vscode from "vscode";

const PYTHON_EXTENSION = "ms-python.python";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri };
}

/** The part of the Python extension's API (`environments`) used here. */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
    resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

export class PythonExtension implements vscode.Disposable {
  private api: PythonApi | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** The active interpreter changed (only fired when the Python extension is installed). */
  readonly onDidChangeInterpreter = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get installed(): boolean {
    return vscode.extensions.getExtension(PYTHON_EXTENSION) !== undefined;
  }

  private async load(): Promise<PythonApi | undefined> {
    if (this.api !== undefined) {
      return this.api;
    }
    const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION);
    if (extension === undefined) {
      return undefined;
    }
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      if (!api?.environments) {
        this.log.warn("The Python extension has no environments API: not asking it for an interpreter");
        return undefined;
      }
      this.api = api;
      this.disposables.push(api.environments.onDidChangeActiveEnvironmentPath(() => this.changed.fire()));
      return api;
    } catch (error) {
      this.log.warn(`The Python extension did not activate: ${String(error)}`);
      return undefined;
    }
  }

  /** The Python extension's interpreter for `resource`, or undefined (no extension, none selected). */
  async interpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
    const api = await this.load();
    if (!api?.environments) {
      return undefined;
    }
    try {
      const active = api.environments.getActiveEnvironmentPath(resource);
      const resolved = await api.environments.resolveEnvironment(active);
      return resolved?.executable?.uri?.fsPath ?? active?.path ?? undefined;
    } catch (error) {
      this.log.warn(`Could not ask the Python extension for its interpreter: ${String(error)}`);
      return undefined;
    }
  }

  dispose(): void {
    this.changed.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
