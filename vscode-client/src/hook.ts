// The test hook: JSON lines for end-to-end tests, active only when FLASH_LS_TEST_HOOK names a
// file. No `vscode` import (unit tested); extension.ts feeds it.

import * as fs from "node:fs";

export const HOOK_ENV = "FLASH_LS_TEST_HOOK";
export const CONFIRM_ENV = "FLASH_LS_TEST_CONFIRM";

export type HookEvent =
  | { event: "ready" }
  | { event: "state"; [key: string]: unknown }
  | { event: "clipboard"; text: string }
  | { event: "command"; command: string; ok: true; result: unknown }
  | { event: "command"; command: string; ok: false; error: string }
  | { event: "message"; severity: "info" | "warning" | "error"; text: string }
  | { event: "confirm"; question: string; answer: boolean };

export class TestHook {
  private lastState: string | undefined;

  constructor(
    readonly file: string,
    private readonly confirmAnswer: string | undefined,
  ) {}

  /** The hook the environment asks for, or undefined (then nothing is recorded). */
  static fromEnv(env: Record<string, string | undefined> = process.env): TestHook | undefined {
    const file = env[HOOK_ENV];
    return file ? new TestHook(file, env[CONFIRM_ENV]) : undefined;
  }

  /** One JSON line, appended synchronously (flushed when this returns). */
  write(event: HookEvent): void {
    try {
      fs.appendFileSync(this.file, JSON.stringify(event) + "\n", "utf8");
    } catch {
      // a test that went away: nothing to report to
    }
  }

  /** A `state` line, unless it says the same as the last one. Returns whether it was written. */
  writeState(state: Record<string, unknown>): boolean {
    const line = JSON.stringify({ event: "state", ...state });
    if (line === this.lastState) {
      return false;
    }
    this.lastState = line;
    try {
      fs.appendFileSync(this.file, line + "\n", "utf8");
    } catch {
      // as above
    }
    return true;
  }

  /**
   * How a modal confirmation is answered under the hook: `yes` (FLASH_LS_TEST_CONFIRM=yes),
   * `no` (=no), or undefined: show the real dialog.
   */
  get confirmation(): boolean | undefined {
    const answer = (this.confirmAnswer ?? "").trim().toLowerCase();
    if (answer === "yes") {
      return true;
    }
    if (answer === "no") {
      return false;
    }
    return undefined;
  }
}

/** Calls `fn` once, `delayMs` after the last of a burst of `schedule()` calls. */
export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly fn: () => void | Promise<void>,
  ) {}

  schedule(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void Promise.resolve()
        .then(this.fn)
        .catch(() => undefined);
    }, this.delayMs);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
