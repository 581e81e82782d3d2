// What the extension tells the user about a command's answer. No `vscode` import (unit tested).

import { EndpointRequest, field } from "./protocol";

/** The first non-empty line of a text. */
export function firstLine(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() !== "") {
      return line.trim();
    }
  }
  return text.trim();
}

/** The one line to show for a failed request (a JSON-RPC error, an Error, anything thrown). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    return firstLine(error.message) || error.name;
  }
  if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    return firstLine((error as { message: string }).message);
  }
  return firstLine(String(error));
}

/** JSON-RPC codes of a cancelled request (LSP RequestCancelled, ServerCancelled). */
const CANCELLED_CODES = new Set([-32800, -32802]);

export function isCancelled(error: unknown): boolean {
  const code = error && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  return typeof code === "number" && CANCELLED_CODES.has(code);
}

/** `(see the flash-ls log)` and similar tails do not make two messages different. */
function normalise(text: string): string {
  return firstLine(text)
    .replace(/\s*\(see the flash-ls log\)\s*$/i, "")
    .trim()
    .toLowerCase();
}

/**
 * The server shows a failed command's message itself (`window/showMessage`) before it answers
 * with the error; the extension shows the error only when the server did not already.
 */
export class RecentMessages {
  private readonly shown: { text: string; at: number }[] = [];

  constructor(private readonly windowMs = 10_000, private readonly now: () => number = Date.now) {}

  add(text: string): void {
    const at = this.now();
    this.shown.push({ text: normalise(text), at });
    while (this.shown.length > 0 && (this.shown.length > 50 || at - this.shown[0].at > this.windowMs)) {
      this.shown.shift();
    }
  }

  /** Whether a message saying the same (one contains the other) was shown recently. */
  has(text: string): boolean {
    const wanted = normalise(text);
    if (wanted === "") {
      return false;
    }
    const since = this.now() - this.windowMs;
    return this.shown.some(
      (message) => message.at >= since && message.text !== "" && (message.text.includes(wanted) || wanted.includes(message.text)),
    );
  }
}

/** The message after Copy curl. */
export function copiedMessage(request: EndpointRequest): string {
  if (request.deployed) {
    return `Copied curl for ${request.endpoint} (${request.environment ?? "deployed"})`;
  }
  return `Copied curl for ${request.endpoint} (not deployed: placeholder URL)`;
}

const ACTIONS = ["create", "update", "keep", "remove"] as const;

function counts(result: unknown): Record<(typeof ACTIONS)[number], number> {
  const found = { create: 0, update: 0, keep: 0, remove: 0 };
  const endpoints = field<unknown[]>(result, "endpoints") ?? [];
  const removed = field<unknown[]>(result, "removed") ?? [];
  for (const item of [...endpoints, ...removed]) {
    const action = field<string>(item, "action");
    if (action && (ACTIONS as readonly string[]).includes(action)) {
      found[action as (typeof ACTIONS)[number]] += 1;
    }
  }
  return found;
}

export interface Summary {
  severity: "info" | "warning";
  text: string;
}

/** What a deploy did, in one line (the CLI's summary: `1 created, 0 updated, 2 unchanged`). */
export function deploySummary(result: unknown): Summary {
  const environment = field<string>(result, "environment") ?? "?";
  if (field<boolean>(result, "cancelled")) {
    return { severity: "info", text: `Deploy to ${environment} cancelled` };
  }
  const app = field<string>(result, "app") ?? "the app";
  const dryRun = Boolean(field<boolean>(result, "dryRun"));
  const found = counts(result);
  const parts = dryRun
    ? [`${found.create} to create`, `${found.update} to update`, `${found.keep} unchanged`]
    : [`${found.create} created`, `${found.update} updated`, `${found.keep} unchanged`];
  if (found.remove) {
    parts.push(`${found.remove} ${field<boolean>(result, "pruned") ? "deleted" : "not in the code (prune deletes them)"}`);
  }
  const warnings = field<string[]>(result, "warnings") ?? [];
  const nothing = (field<unknown[]>(result, "endpoints") ?? []).length === 0;
  let text = dryRun
    ? `Plan for ${app} in ${environment} (dry run): ${parts.join(", ")}`
    : nothing
      ? `Nothing deployed: ${app} has no deployable endpoints`
      : `Deployed ${app} to ${environment}: ${parts.join(", ")}`;
  if (!dryRun && field<boolean>(result, "artifactUnchanged")) {
    text += " (artifact unchanged)";
  }
  if (warnings.length > 0 && !nothing) {
    text += warnings.length === 1 ? "; 1 warning: " + firstLine(warnings[0]) : `; ${warnings.length} warnings (see the log)`;
  }
  return { severity: nothing || warnings.length > 0 ? "warning" : "info", text };
}

function size(bytes: number | undefined): string {
  if (typeof bytes !== "number") {
    return "";
  }
  if (bytes >= 1024 * 1024) {
    return ` (${(bytes / (1024 * 1024)).toFixed(1)} MB)`;
  }
  return ` (${Math.max(1, Math.round(bytes / 1024))} KB)`;
}

/** What a build wrote. */
export function buildSummary(result: unknown): Summary {
  const artifact = field<string>(result, "artifactPath");
  const name = artifact ? artifact.split(/[\\/]/).pop() : "the artifact";
  const warnings = field<string[]>(result, "warnings") ?? [];
  let text = `Built ${name}${size(field<number>(result, "sizeBytes"))}`;
  if (warnings.length > 0) {
    text += warnings.length === 1 ? "; 1 warning: " + firstLine(warnings[0]) : `; ${warnings.length} warnings (see the log)`;
  }
  return { severity: warnings.length > 0 ? "warning" : "info", text };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** What `flash.check` found. */
export function checkSummary(result: unknown): Summary {
  const apps = field<unknown[]>(result, "apps") ?? [];
  const found = field<Record<string, number>>(result, "counts") ?? {};
  const errors = found.error ?? 0;
  const warnings = found.warning ?? 0;
  const others = (found.info ?? 0) + (found.hint ?? 0);
  const total = errors + warnings + others;
  const where = plural(apps.length, "app");
  if (total === 0) {
    return { severity: "info", text: `Checked ${where}: no problems` };
  }
  const parts = [plural(errors, "error"), plural(warnings, "warning")];
  if (others) {
    parts.push(`${others} info`);
  }
  return { severity: errors + warnings > 0 ? "warning" : "info", text: `Checked ${where}: ${parts.join(", ")}` };
}
