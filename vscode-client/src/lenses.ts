// Server code lens commands -> the extension's commands. No `vscode` import (unit tested).
//
// vscode-languageclient registers a VS Code command for every command the server announces, which
// runs it on the server and shows nothing; the extension's own commands add the UI (a modal
// confirmation for production, the deploy summary, the clipboard).

/** Server command -> extension command, for code lenses. */
export const LENS_COMMANDS: Readonly<Record<string, string>> = {
  "flash.deploy": "flash-ls.deploy",
  "flash.endpoint.request": "flash-ls.copyCurl",
};

export interface LensCommand {
  title: string;
  command: string;
  arguments?: unknown[];
  tooltip?: string;
}

/** The command a lens runs in VS Code: mapped when the extension wraps it, else as the server sent it. */
export function mapLensCommand<T extends LensCommand>(command: T): T {
  const mapped = LENS_COMMANDS[command.command];
  if (mapped === undefined) {
    return command;
  }
  return { ...command, command: mapped, arguments: command.arguments ?? [] };
}
