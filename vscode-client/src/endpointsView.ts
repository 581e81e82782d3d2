// The "Flash" view in the explorer: apps -> endpoints -> routes, from `flash.endpoints`.

import * as vscode from "vscode";
import { Debouncer } from "./hook";
import { errorText } from "./messages";
import { EndpointsResult, ServerCommand } from "./protocol";
import { Server } from "./server";
import { TreeNode, treeModel } from "./tree";

const REFRESH_DELAY_MS = 200;

export class EndpointsView implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  result: EndpointsResult | undefined;
  nodes: TreeNode[] = [];
  private readonly treeChanged = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.treeChanged.event;
  private readonly modelChanged = new vscode.EventEmitter<void>();
  /** The model changed (after a refresh that gave a different tree). */
  readonly onDidChangeModel = this.modelChanged.event;
  private readonly refresher = new Debouncer(REFRESH_DELAY_MS, () => this.load());
  private readonly disposables: vscode.Disposable[] = [];
  private lastError: string | undefined;

  constructor(
    private readonly server: Server,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.treeChanged,
      this.modelChanged,
      vscode.window.registerTreeDataProvider("flashEndpoints", this),
      server.onDidStart(() => this.refresh()),
      server.onEndpointsChanged(() => this.refresh()),
      server.onActiveEnvironment(() => this.refresh()),
      server.onRunningChanged((running) => (running ? undefined : this.set(undefined))),
    );
  }

  /** Reloads the tree soon (several calls in a burst: one request). */
  refresh(): void {
    this.refresher.schedule();
  }

  /** Reloads the tree now. */
  async load(): Promise<void> {
    if (!this.server.running) {
      this.set(undefined);
      return;
    }
    try {
      this.set(await this.server.request<EndpointsResult>(ServerCommand.endpoints, {}));
      this.lastError = undefined;
    } catch (error) {
      const text = errorText(error);
      if (text !== this.lastError) {
        this.log.warn(`flash.endpoints failed: ${text}`);
        this.lastError = text;
      }
    }
  }

  private set(result: EndpointsResult | undefined): void {
    const nodes = treeModel(result);
    const changed = JSON.stringify(nodes) !== JSON.stringify(this.nodes);
    this.result = result;
    this.nodes = nodes;
    if (changed) {
      this.treeChanged.fire();
      this.modelChanged.fire();
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const state =
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : vscode.TreeItemCollapsibleState.Expanded;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    const location = node.location;
    if (location) {
      const { start, end } = location.range;
      item.command = {
        command: "vscode.open",
        title: "Open",
        arguments: [
          vscode.Uri.parse(location.uri),
          { selection: new vscode.Range(start.line, start.character, end.line, end.character) },
        ],
      };
    }
    return item;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? node.children : this.nodes;
  }

  dispose(): void {
    this.refresher.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
