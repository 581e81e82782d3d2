// The `flash.*` settings and what the server gets of them. No `vscode` import (unit tested).

/** What the mapping reads: a `vscode.WorkspaceConfiguration` of section `flash` fits. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
}

export const SEVERITIES = ["error", "warning", "info", "hint"] as const;
export const LOG_LEVELS = ["error", "warning", "info", "debug"] as const;

/** Settings that change how the server process starts: a change restarts it. */
export const RESTART_SETTINGS = ["flash.interpreter", "flash.serverArgs"] as const;

/** Settings the server reads (`workspace/configuration` section `flash-ls`). */
export const SERVER_SETTINGS = [
  "flash.debounceMs",
  "flash.select",
  "flash.ignore",
  "flash.severity",
  "flash.codeLens.enable",
  "flash.logLevel",
] as const;

/**
 * The server's settings (snake_case keys, as the protocol document names them). Every key is
 * always sent, null when unset: the server lays `workspace/configuration` over
 * `initializationOptions` key by key, so a key left out would keep its value from the start.
 */
export interface ServerSettings {
  debounce_ms: number | null;
  log_level: string | null;
  select: string[] | null;
  ignore: string[] | null;
  severity: Record<string, string> | null;
  code_lens: boolean;
}

function strings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  return value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * The server settings from the `flash` configuration. Unset or empty values are null so each
 * app's `[tool.flash-ls]` table decides (an empty `select` would otherwise run no rule); values
 * are passed as written otherwise: the server validates them and reports a bad one once.
 */
export function serverSettings(config: ConfigReader): ServerSettings {
  const settings: ServerSettings = {
    debounce_ms: null,
    log_level: null,
    select: null,
    ignore: null,
    severity: null,
    code_lens: true,
  };
  const debounce = config.get<unknown>("debounceMs");
  if (typeof debounce === "number" && Number.isFinite(debounce)) {
    settings.debounce_ms = Math.max(0, Math.round(debounce));
  }
  const level = config.get<unknown>("logLevel");
  if (typeof level === "string" && level.trim() !== "") {
    settings.log_level = level.trim().toLowerCase();
  }
  const select = strings(config.get<unknown>("select"));
  if (select && select.length > 0) {
    settings.select = select;
  }
  const ignore = strings(config.get<unknown>("ignore"));
  if (ignore && ignore.length > 0) {
    settings.ignore = ignore;
  }
  const severity = config.get<unknown>("severity");
  if (severity && typeof severity === "object" && !Array.isArray(severity)) {
    const entries = Object.entries(severity as Record<string, unknown>)
      .filter(([rule, value]) => rule.trim() !== "" && typeof value === "string")
      .map(([rule, value]) => [rule.trim(), (value as string).trim().toLowerCase()] as const);
    if (entries.length > 0) {
      settings.severity = Object.fromEntries(entries);
    }
  }
  const codeLens = config.get<unknown>("codeLens.enable");
  settings.code_lens = typeof codeLens === "boolean" ? codeLens : true;
  return settings;
}

/** `initializationOptions`: the settings under the server's section. */
export function initializationOptions(config: ConfigReader): { "flash-ls": ServerSettings } {
  return { "flash-ls": serverSettings(config) };
}

/** Whether a configuration change (`affects(section)`) needs a server restart. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SETTINGS.some((section) => affects(section));
}

/** Whether a configuration change concerns the server's settings (a didChangeConfiguration). */
export function affectsServer(affects: (section: string) => boolean): boolean {
  return SERVER_SETTINGS.some((section) => affects(section));
}

/** Reads a plain object as a `ConfigReader` (dotted keys walk nested objects), for tests. */
export function readerOf(values: Record<string, unknown>): ConfigReader {
  return {
    get<T>(key: string): T | undefined {
      if (key in values) {
        return values[key] as T;
      }
      let current: unknown = values;
      for (const part of key.split(".")) {
        if (current === null || typeof current !== "object") {
          return undefined;
        }
        current = (current as Record<string, unknown>)[part];
      }
      return current as T | undefined;
    },
  };
}
