// The palette commands (`flash-ls.*`). Their ids differ from the server's (`flash.*`):
// vscode-languageclient registers a VS Code command for each server command itself.

import * as vscode from "vscode";
import { EndpointsView } from "./endpointsView";
import {
  CREATE_LABEL,
  EnvironmentItem,
  deleteItems,
  deleteQuestion,
  deletedMessage,
  deployQuestion,
  switchItems,
  validateEnvironmentName,
} from "./environments";
import { TestHook } from "./hook";
import { ManifestDocuments } from "./manifest";
import { buildSummary, checkSummary, copiedMessage, deploySummary, errorText, isCancelled } from "./messages";
import {
  ActiveEnvironment,
  EndpointRequest,
  EnvironmentList,
  PROTECTED_ENVIRONMENTS,
  ServerCommand,
  field,
  rootKey,
} from "./protocol";
import { Server } from "./server";
import { Environments, StatusBar } from "./statusBar";
import { commandArgs, findApp, requestTargets } from "./tree";
import { Notifier } from "./ui";

export const Command = {
  build: "flash-ls.build",
  deploy: "flash-ls.deploy",
  switchEnvironment: "flash-ls.switchEnvironment",
  createEnvironment: "flash-ls.createEnvironment",
  deleteEnvironment: "flash-ls.deleteEnvironment",
  previewManifest: "flash-ls.previewManifest",
  checkWorkspace: "flash-ls.checkWorkspace",
  showLogs: "flash-ls.showLogs",
  restartServer: "flash-ls.restartServer",
  copyCurl: "flash-ls.copyCurl",
  refreshEndpoints: "flash-ls.refreshEndpoints",
} as const;

/** Keys of a command's argument object passed on to `flash.deploy`. */
const DEPLOY_OPTIONS = ["env", "app", "dryRun", "prune", "build"] as const;

interface Parts {
  server: Server;
  notifier: Notifier;
  tree: EndpointsView;
  status: StatusBar;
  environments: Environments;
  manifests: ManifestDocuments;
  hook: TestHook | undefined;
}

const CANCELLED = { cancelled: true };

export function registerCommands(parts: Parts): vscode.Disposable[] {
  const { server, notifier, tree, status, environments, manifests, hook } = parts;

  /**
   * The document or folder a command is about: its argument, the current file, the app of the
   * last Python file (when a manifest preview or a panel has the focus), the first folder.
   */
  function targetUri(args: { uri?: unknown }): string {
    if (typeof args.uri === "string" && args.uri) {
      return args.uri;
    }
    const document = vscode.window.activeTextEditor?.document;
    if (document && (document.uri.scheme === "file" || (document.uri.scheme === "untitled" && document.languageId === "python"))) {
      return document.uri.toString();
    }
    if (status.lastAppRoot) {
      return vscode.Uri.file(status.lastAppRoot).toString();
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder === undefined) {
      throw new Error("Open a folder with a Flash app first");
    }
    return folder.uri.toString();
  }

  /** The app's name: the tree's, else the last part of its root. */
  function appName(appRoot: string | undefined): string {
    if (appRoot === undefined) {
      return "the app";
    }
    return findApp(tree.result, appRoot)?.name ?? rootKey(appRoot).split("/").pop() ?? appRoot;
  }

  async function current(uri: string): Promise<ActiveEnvironment | undefined> {
    try {
      const found = await server.request<ActiveEnvironment>(ServerCommand.envCurrent, { uri });
      if (found?.appRoot) {
        environments.set(found.appRoot, found.environment ?? null, found.source ?? null);
      }
      return found;
    } catch {
      return undefined;
    }
  }

  function changed(result?: ActiveEnvironment): void {
    if (result?.appRoot) {
      environments.set(result.appRoot, result.environment ?? null, result.source ?? null);
    }
    tree.refresh();
    void status.refresh();
  }

  async function useEnvironment(uri: string, name: string): Promise<ActiveEnvironment> {
    const result = await server.request<ActiveEnvironment>(ServerCommand.envUse, { uri, name });
    changed(result);
    void notifier.info(`Active environment of ${appName(result?.appRoot)}: ${result?.environment ?? name}`);
    return result;
  }

  async function askName(app: string, existing: readonly string[]): Promise<string | undefined> {
    const name = await vscode.window.showInputBox({
      title: `New environment of ${app}`,
      prompt: "Environment name",
      placeHolder: "staging",
      validateInput: (value) => validateEnvironmentName(value, existing),
    });
    return name?.trim() || undefined;
  }

  async function createEnvironment(uri: string, name: string): Promise<unknown> {
    const result = await server.request<unknown>(ServerCommand.envCreate, { uri, name });
    const app = field<string>(result, "app") ?? "the app";
    const created = field<string>(field(result, "environment"), "name") ?? name;
    tree.refresh();
    return { result, message: `Created environment ${created} in ${app}`, name: created };
  }

  const commands: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [Command.build]: async (value) => {
      const uri = targetUri(commandArgs(value));
      const result = await server.request<unknown>(ServerCommand.build, { uri });
      const summary = buildSummary(result);
      for (const warning of field<string[]>(result, "warnings") ?? []) {
        notifier.log.warn(`build: ${warning}`);
      }
      void notifier.show(summary.severity, summary.text);
      return result;
    },

    [Command.deploy]: async (value) => {
      const args = commandArgs(value);
      const uri = targetUri(args);
      const params: Record<string, unknown> = { uri };
      for (const key of DEPLOY_OPTIONS) {
        if (args[key] !== undefined && args[key] !== null) {
          params[key] = args[key];
        }
      }
      const found = await current(uri);
      const environment = typeof args.env === "string" && args.env ? args.env : found?.environment ?? undefined;
      if (environment !== undefined && PROTECTED_ENVIRONMENTS.has(environment) && !params.dryRun) {
        const question = deployQuestion(environment, appName(found?.appRoot));
        const detail = `${environment} is a protected environment: its endpoints serve live traffic.`;
        if (!(await notifier.confirm(question, "Deploy", detail))) {
          return { deployed: false, cancelled: true, environment };
        }
        params.env = environment; // the confirmation is for this environment only
        params.confirmed = true;
      }
      const result = await server.request<unknown>(ServerCommand.deploy, params);
      for (const warning of field<string[]>(result, "warnings") ?? []) {
        notifier.log.warn(`deploy: ${warning}`);
      }
      const summary = deploySummary(result);
      void notifier.show(summary.severity, summary.text);
      changed();
      return result;
    },

    [Command.switchEnvironment]: async (value) => {
      const args = commandArgs(value);
      const uri = targetUri(args);
      if (typeof args.name === "string" && args.name) {
        return useEnvironment(uri, args.name);
      }
      const list = await server.request<EnvironmentList>(ServerCommand.envList, { uri });
      const picked = await vscode.window.showQuickPick<EnvironmentItem>(switchItems(list), {
        title: `Environment of ${list.app}`,
        placeHolder: list.active ? `Active: ${list.active}` : "No active environment: pick one",
        matchOnDescription: true,
      });
      if (picked === undefined) {
        return CANCELLED;
      }
      let name = picked.name;
      if (picked.action === "create" || picked.label === CREATE_LABEL) {
        name = await askName(list.app, list.environments.map((environment) => environment.name));
        if (name === undefined) {
          return CANCELLED;
        }
        await createEnvironment(uri, name);
      }
      return name === undefined ? CANCELLED : useEnvironment(uri, name);
    },

    [Command.createEnvironment]: async (value) => {
      const args = commandArgs(value);
      const uri = targetUri(args);
      const name =
        typeof args.name === "string" && args.name ? args.name : await askName(appName(status.currentAppRoot), []);
      if (name === undefined) {
        return CANCELLED;
      }
      const created = (await createEnvironment(uri, name)) as { result: unknown; message: string; name: string };
      const use = `Switch to ${created.name}`;
      void notifier.info(created.message, use).then((picked) => {
        if (picked === use) {
          void vscode.commands.executeCommand(Command.switchEnvironment, { uri, name: created.name });
        }
      });
      return created.result;
    },

    [Command.deleteEnvironment]: async (value) => {
      const args = commandArgs(value);
      const uri = targetUri(args);
      let name = typeof args.name === "string" && args.name ? args.name : undefined;
      let app = appName(status.currentAppRoot);
      if (name === undefined) {
        const list = await server.request<EnvironmentList>(ServerCommand.envList, { uri });
        app = list.app;
        const items = deleteItems(list);
        if (items.length === 0) {
          void notifier.info(`${list.app} has no environments`);
          return CANCELLED;
        }
        const picked = await vscode.window.showQuickPick(items, {
          title: `Delete an environment of ${list.app}`,
          placeHolder: "Environment to delete with its endpoints",
        });
        if (picked?.name === undefined) {
          return CANCELLED;
        }
        name = picked.name;
      }
      const question = deleteQuestion(name, app);
      if (!(await notifier.confirm(question, "Delete", "Its endpoints are deleted on Runpod. This cannot be undone."))) {
        return { deleted: false, cancelled: true, environment: name };
      }
      const result = await server.request<unknown>(ServerCommand.envDelete, { uri, name, confirmed: true });
      void notifier.info(deletedMessage(result));
      changed();
      return result;
    },

    [Command.previewManifest]: async (value) => {
      const uri = targetUri(commandArgs(value));
      const result = await server.request<unknown>(ServerCommand.manifestPreview, { uri });
      const document = await manifests.show(result);
      return { root: field<string>(result, "root"), document: document.toString() };
    },

    [Command.checkWorkspace]: async () => {
      const result = await server.request<unknown>(ServerCommand.check, {});
      const summary = checkSummary(result);
      const problems = "Show Problems";
      void notifier.show(summary.severity, summary.text, problems).then((picked) => {
        if (picked === problems) {
          void vscode.commands.executeCommand("workbench.actions.view.problems");
        }
      });
      return { counts: field(result, "counts"), apps: (field<unknown[]>(result, "apps") ?? []).length };
    },

    [Command.showLogs]: async () => {
      notifier.log.show(true);
      return null;
    },

    [Command.restartServer]: async () => {
      await server.restart();
      return { running: server.running, interpreter: server.interpreter?.python ?? null };
    },

    [Command.copyCurl]: async (value) => {
      let args = commandArgs(value);
      if (typeof args.endpoint !== "string" || !args.endpoint) {
        if (tree.result === undefined) {
          await tree.load();
        }
        const targets = requestTargets(tree.result, status.currentAppRoot ?? status.lastAppRoot);
        const all = targets.length > 0 ? targets : requestTargets(tree.result);
        if (all.length === 0) {
          throw new Error("No endpoint to call: decorate a function with @Endpoint(...) first");
        }
        const picked = all.length === 1 ? all[0] : await vscode.window.showQuickPick(all, { title: "Copy curl for" });
        if (picked === undefined) {
          return CANCELLED;
        }
        args = { ...picked.args };
      }
      const params: Record<string, unknown> = { uri: targetUri(args), endpoint: args.endpoint };
      if (typeof args.route === "string" && args.route) {
        params.route = args.route;
      }
      const result = await server.request<EndpointRequest>(ServerCommand.endpointRequest, params);
      await vscode.env.clipboard.writeText(result.curl);
      hook?.write({ event: "clipboard", text: result.curl });
      void notifier.info(copiedMessage(result));
      return result;
    },

    [Command.refreshEndpoints]: async () => {
      await tree.load();
      return { apps: tree.nodes.length };
    },
  };

  return Object.entries(commands).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        const result = await run(...args);
        hook?.write({ event: "command", command: id, ok: true, result: result ?? null });
        return result;
      } catch (error) {
        const text = errorText(error);
        if (isCancelled(error)) {
          notifier.log.info(`${id}: cancelled`);
        } else if (!notifier.recent.has(text)) {
          notifier.failure(text); // the server did not show it already
        } else {
          notifier.log.warn(`${id}: ${text}`);
        }
        hook?.write({ event: "command", command: id, ok: false, error: text });
        return undefined;
      }
    }),
  );
}
