// Quick pick items and messages about environments (from `flash.env.list`). No `vscode` import.

import { EnvironmentList, PROTECTED_ENVIRONMENTS, field } from "./protocol";

export const CREATE_LABEL = "$(add) Create environment…";

export interface EnvironmentItem {
  label: string;
  description?: string;
  detail?: string;
  /** What picking it does: use (or delete) `name`, or create a new environment. */
  action: "use" | "create" | "delete";
  name?: string;
}

/**
 * Where an active environment comes from, as a short phrase: `flash-ls env use`, `FLASH_ENV` ...
 * (the server may wrap it: `active (flash-ls env use)`).
 */
export function sourceText(source: string | null | undefined): string | undefined {
  if (!source) {
    return undefined;
  }
  const wrapped = /^active \((.*)\)$/.exec(source.trim());
  return wrapped ? wrapped[1] : source.trim();
}

function describe(list: EnvironmentList, name: string, state: string | null | undefined): string {
  const parts: string[] = [];
  if (list.active === name) {
    const source = sourceText(list.source);
    parts.push(source ? `active (${source})` : "active");
  }
  if (state) {
    parts.push(state.toLowerCase());
  }
  if (PROTECTED_ENVIRONMENTS.has(name)) {
    parts.push("protected");
  }
  return parts.join(" · ");
}

function detail(environment: unknown): string | undefined {
  const endpoints = field<unknown[]>(environment, "endpoints");
  const build = field<string | null>(environment, "activeBuildId");
  const parts: string[] = [];
  if (Array.isArray(endpoints) && endpoints.length > 0) {
    parts.push(endpoints.length === 1 ? "1 endpoint" : `${endpoints.length} endpoints`);
  }
  if (build) {
    parts.push(`build ${build.slice(0, 8)}`);
  }
  return parts.length > 0 ? parts.join(" · ") : undefined;
}

/** The environment switcher: every environment (the active one marked), then "Create environment…". */
export function switchItems(list: EnvironmentList): EnvironmentItem[] {
  const items: EnvironmentItem[] = (list.environments ?? []).map((environment) => ({
    label: `${list.active === environment.name ? "$(check)" : "$(blank)"} ${environment.name}`,
    description: describe(list, environment.name, environment.state) || undefined,
    detail: detail(environment),
    action: "use",
    name: environment.name,
  }));
  items.push({
    label: CREATE_LABEL,
    description: `a new environment of ${list.app}`,
    action: "create",
  });
  return items;
}

/** The environments "Delete Environment" offers. */
export function deleteItems(list: EnvironmentList): EnvironmentItem[] {
  return (list.environments ?? []).map((environment) => ({
    label: environment.name,
    description: describe(list, environment.name, environment.state) || undefined,
    detail: detail(environment),
    action: "delete",
    name: environment.name,
  }));
}

/** Why a new environment name cannot be used, or undefined when it can. */
export function validateEnvironmentName(name: string, existing: readonly string[] = []): string | undefined {
  const trimmed = name.trim();
  if (trimmed === "") {
    return "Enter a name";
  }
  if (/\s/.test(trimmed)) {
    return "An environment name has no spaces";
  }
  if (existing.includes(trimmed)) {
    return `${trimmed} exists already`;
  }
  return undefined;
}

export function deleteQuestion(name: string, app: string): string {
  return `Delete environment ${name} of ${app} and its endpoints?`;
}

export function deployQuestion(environment: string, app: string): string {
  return `Deploy ${app} to ${environment}?`;
}

/** The message after "Delete Environment". */
export function deletedMessage(result: unknown): string {
  if (field<boolean>(result, "cancelled")) {
    return "Delete cancelled";
  }
  const name = field<string>(result, "environment") ?? "the environment";
  const count = field<number>(result, "endpoints");
  const endpoints = typeof count === "number" ? ` and ${count === 1 ? "1 endpoint" : `${count} endpoints`}` : "";
  return `Deleted environment ${name}${endpoints}`;
}
