// Which Python runs the server, and the commands run with it. No `vscode` import (unit tested).

import * as path from "node:path";

export type InterpreterSource = "setting" | "python-extension" | "path";

export interface InterpreterChoice {
  /** The interpreter to run (a path, or a bare name looked up on PATH by the OS). */
  python: string;
  source: InterpreterSource;
  /** Why this one, for the log: `flash.interpreter setting`, `Python extension`, `python3 on PATH`. */
  reason: string;
}

export interface InterpreterInputs {
  /** The `flash.interpreter` setting ("" or undefined: not set). */
  setting?: string | null;
  /** The first workspace folder's file system path, for `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string;
  /** The Python extension's active interpreter: undefined when it is not installed or has none. */
  pythonExtension?: string | null;
  /** Finds an executable on PATH (undefined: not found). */
  which: (name: string) => string | undefined;
  env?: Record<string, string | undefined>;
  home?: string;
  platform?: string;
}

/**
 * Expands `${workspaceFolder}`, `${workspaceFolderBasename}`, `${userHome}`, `${env:NAME}` and a
 * leading `~` in a setting value. A variable that cannot be expanded (no folder) stays as written.
 */
export function expandVariables(
  value: string,
  workspaceFolder: string | undefined,
  env: Record<string, string | undefined> = {},
  home?: string,
): string {
  let result = value.replace(/\$\{(workspaceFolder|workspaceFolderBasename|userHome|env:([^}]+))\}/g, (match, name: string, envName?: string) => {
    if (envName !== undefined) {
      return env[envName] ?? "";
    }
    if (name === "workspaceFolder") {
      return workspaceFolder ?? match;
    }
    if (name === "workspaceFolderBasename") {
      return workspaceFolder ? path.basename(workspaceFolder) : match;
    }
    return home ?? match;
  });
  if (home && (result === "~" || result.startsWith("~/") || result.startsWith("~\\"))) {
    result = home + result.slice(1);
  }
  return result;
}

/**
 * The interpreter: the `flash.interpreter` setting (variables expanded; a relative path is taken
 * from the workspace folder), else the Python extension's active interpreter, else `python3` (or
 * `python`) on PATH.
 */
export function resolveInterpreter(inputs: InterpreterInputs): InterpreterChoice {
  const setting = (inputs.setting ?? "").trim();
  if (setting) {
    let python = expandVariables(setting, inputs.workspaceFolder, inputs.env, inputs.home);
    const looksLikePath = python.includes("/") || python.includes("\\");
    if (looksLikePath && !path.isAbsolute(python) && inputs.workspaceFolder) {
      python = path.join(inputs.workspaceFolder, python);
    }
    return { python, source: "setting", reason: "the flash.interpreter setting" };
  }
  const fromExtension = (inputs.pythonExtension ?? "").trim();
  if (fromExtension) {
    return {
      python: fromExtension,
      source: "python-extension",
      reason: "the Python extension's active interpreter",
    };
  }
  const names = inputs.platform === "win32" ? ["python", "python3", "py"] : ["python3", "python"];
  for (const name of names) {
    const found = inputs.which(name);
    if (found) {
      return { python: found, source: "path", reason: `${name} on PATH` };
    }
  }
  return { python: names[0], source: "path", reason: `${names[0]} (not found on PATH)` };
}

/** The server's command line: `<python> -m flash_ls serve [serverArgs...]` (the client adds --stdio). */
export function serverCommand(python: string, serverArgs: readonly string[] = []): {
  command: string;
  args: string[];
} {
  return {
    command: python,
    args: ["-m", "flash_ls", "serve", ...serverArgs.filter((arg) => typeof arg === "string" && arg !== "")],
  };
}

/** Arguments that check flash-ls is importable, and print its version when it is. */
export const IMPORT_CHECK_ARGS = [
  "-c",
  "import flash_ls, sys; sys.stdout.write(getattr(flash_ls, '__version__', '?'))",
];

/**
 * The pip command shown in a terminal when flash-ls is missing, the interpreter quoted for the
 * user's shell (PowerShell, cmd, else a POSIX shell).
 */
export function pipInstallCommand(python: string, shell: string = ""): string {
  let executable = python;
  if (/[\s"'$&()|;<>`!*?#~]/.test(python)) {
    if (/pwsh|powershell/i.test(shell)) {
      executable = `& '${python.replace(/'/g, "''")}'`;
    } else if (/cmd(\.exe)?$/i.test(shell)) {
      executable = `"${python}"`;
    } else {
      executable = `'${python.replace(/'/g, "'\\''")}'`;
    }
  }
  return `${executable} -m pip install flash-ls`;
}
