// The status bar item: the active environment of the current file's Flash app. No `vscode` import.

import { sourceText } from "./environments";

export interface StatusInput {
  /** The current file's app as `flash.env.current` answered (undefined: no answer, or an error). */
  current?: { appRoot: string; environment: string | null; source: string | null } | undefined;
  /** The app's name, when the endpoint tree knows it. */
  appName?: string;
  /** Whether the endpoint tree lists the app (it declares endpoints). */
  inTree: boolean;
  /** Whether the current editor shows a Python file on disk. */
  isPython: boolean;
}

export interface StatusView {
  visible: boolean;
  text: string;
  tooltip: string;
}

export const NO_ENVIRONMENT = "no environment";

export function statusText(environment: string | null | undefined): string {
  return `$(cloud) flash: ${environment ? environment : NO_ENVIRONMENT}`;
}

/**
 * Shown for a Python file of a Flash app: an app that declares endpoints (the endpoint tree lists
 * it) or has an active environment. Hidden for other files, and when the server could not say
 * which app the file belongs to.
 */
export function statusView(input: StatusInput): StatusView {
  const current = input.current;
  if (!input.isPython || current === undefined) {
    return { visible: false, text: "", tooltip: "" };
  }
  const visible = input.inTree || Boolean(current.environment);
  const app = input.appName ?? basename(current.appRoot);
  const where = current.environment
    ? `Active environment of ${app}: ${current.environment}${sourceText(current.source) ? ` (from ${sourceText(current.source)})` : ""}`
    : `${app} has no active environment`;
  return {
    visible,
    text: statusText(current.environment),
    tooltip: `${where}\nClick to switch environments`,
  };
}

function basename(root: string): string {
  const parts = root.replace(/[\\/]+$/, "").split(/[\\/]/);
  return parts[parts.length - 1] || root;
}
