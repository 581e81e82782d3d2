// "Flash: Preview Manifest": the manifest JSON `flash build` would write, in a read-only document.

import * as vscode from "vscode";
import { field } from "./protocol";

export const MANIFEST_SCHEME = "flash-manifest";

export class ManifestDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(MANIFEST_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "{}\n";
  }

  /** Opens (or updates) the preview of a `flash.manifest.preview` answer; returns its URI. */
  async show(result: unknown): Promise<vscode.Uri> {
    const root = field<string>(result, "root") ?? "app";
    const name = root.replace(/[\\/]+$/, "").split(/[\\/]/).pop() || "app";
    const uri = vscode.Uri.from({
      scheme: MANIFEST_SCHEME,
      path: `/${name}/flash_manifest.json`,
      query: root, // two apps with one directory name get two documents
    });
    const manifest = field<unknown>(result, "manifest") ?? result;
    this.texts.set(uri.toString(), JSON.stringify(manifest, null, 2) + "\n");
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== "json") {
      await vscode.languages.setTextDocumentLanguage(document, "json");
    }
    await vscode.window.showTextDocument(document, { preview: false });
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
