// Every notification and confirmation the extension shows goes through here: the test hook
// records them, failures get a "Show Logs" button.

import * as vscode from "vscode";
import { TestHook } from "./hook";
import { RecentMessages } from "./messages";

export type Severity = "info" | "warning" | "error";

export const SHOW_LOGS = "Show Logs";

export class Notifier {
  /** Messages shown recently, so a command's error the server showed already is not shown twice. */
  readonly recent = new RecentMessages();

  constructor(
    readonly log: vscode.LogOutputChannel,
    readonly hook: TestHook | undefined,
  ) {}

  /** Shows a message (buttons optional); resolves to the button picked. */
  show(severity: Severity, text: string, ...buttons: string[]): Thenable<string | undefined> {
    this.recent.add(text);
    this.hook?.write({ event: "message", severity, text });
    switch (severity) {
      case "error":
        this.log.error(text);
        return vscode.window.showErrorMessage(text, ...buttons);
      case "warning":
        this.log.warn(text);
        return vscode.window.showWarningMessage(text, ...buttons);
      default:
        this.log.info(text);
        return vscode.window.showInformationMessage(text, ...buttons);
    }
  }

  info(text: string, ...buttons: string[]): Thenable<string | undefined> {
    return this.show("info", text, ...buttons);
  }

  /** A failure (or a warning), with a "Show Logs" button that opens the output channel. */
  failure(text: string, severity: Severity = "error"): void {
    void this.show(severity, text, SHOW_LOGS).then((picked) => {
      if (picked === SHOW_LOGS) {
        this.log.show(true);
      }
    });
  }

  /**
   * A modal question with one action besides Cancel. Under the test hook it is answered without
   * a dialog when FLASH_LS_TEST_CONFIRM is `yes` or `no`.
   */
  async confirm(question: string, action: string, detail?: string): Promise<boolean> {
    const automatic = this.hook?.confirmation;
    if (this.hook !== undefined && automatic !== undefined) {
      this.hook.write({ event: "confirm", question, answer: automatic });
      this.log.info(`${question} -> ${automatic ? action : "Cancel"} (test hook)`);
      return automatic;
    }
    const picked = await vscode.window.showWarningMessage(question, { modal: true, detail }, action);
    const answer = picked === action;
    this.hook?.write({ event: "confirm", question, answer });
    return answer;
  }
}
