// The "Flash" view's model: apps -> endpoints -> routes, from `flash.endpoints`. No `vscode` import:
// the view (endpointsView.ts) turns these nodes into TreeItems, the test hook writes them as JSON.

import { sourceText } from "./environments";
import {
  AppInfo,
  EndpointArgs,
  EndpointInfo,
  EndpointsResult,
  Location,
  RouteInfo,
  Sdk,
  isFlashEndpoint,
  rootKey,
} from "./protocol";

export type NodeType = "app" | "endpoint" | "route";

export interface TreeNode {
  id: string;
  type: NodeType;
  label: string;
  description?: string;
  tooltip?: string;
  /**
   * What the menus read (package.json `view/item/context`): `flash.app`, `flash.endpoint.callable`,
   * `flash.endpoint.unused`, `flash.route` get Deploy and Copy curl as they apply; the app API's
   * `flash.endpoint.appApi`, `flash.route.appApi` and `flash.app.appApi` (a project with only
   * those) get neither: flash-ls deploys and calls runpod_flash endpoints only.
   */
  contextValue: string;
  /** A codicon id. */
  icon: string;
  /** Where a click goes (the declaration, the route's function). */
  location?: Location;
  /** What Deploy and Copy curl get for this node. */
  args: EndpointArgs;
  children: TreeNode[];
}

const KIND_LABELS: Record<string, string> = {
  queue: "queue",
  "load-balanced": "load-balanced",
  task: "task",
  unused: "unused",
};

const KIND_ICONS: Record<string, string> = {
  queue: "layers",
  "load-balanced": "server-environment",
  task: "tasklist",
  unused: "circle-slash",
};

/** Context values of the app API's nodes: no Deploy, no Copy curl (a click still opens them). */
export const APP_API_CONTEXT = {
  app: "flash.app.appApi",
  endpoint: "flash.endpoint.appApi",
  route: "flash.route.appApi",
} as const;

/** `runpod.App demo`: the App an app API resource is declared on. */
export function appApiText(endpoint: EndpointInfo): string {
  const sdk = endpoint.sdk || Sdk.appApi;
  return endpoint.app ? `${sdk}.App ${endpoint.app}` : `${sdk}.App`;
}

export function routeName(route: RouteInfo): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

/** The deployed state as the description shows it. */
export function deployedText(endpoint: EndpointInfo, environment: string | null | undefined): string {
  if (endpoint.kind === "unused") {
    return "not deployed: serves nothing";
  }
  const deployed = endpoint.deployed;
  if (deployed) {
    const where = deployed.environment ?? environment;
    return where ? `deployed (${where})` : "deployed";
  }
  return environment ? `not deployed (${environment})` : "not deployed";
}

function formatTime(seconds: number | null | undefined): string | undefined {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
    return undefined;
  }
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function endpointNode(app: AppInfo, endpoint: EndpointInfo, id: string): TreeNode {
  const name = endpoint.name;
  const label = endpoint.label || name;
  const kind = KIND_LABELS[endpoint.kind] ?? endpoint.kind;
  const uri = endpoint.location?.uri ?? app.root;
  const environment = app.environment ?? null;
  const flash = isFlashEndpoint(endpoint);
  const description = [kind, endpoint.hardware, flash ? deployedText(endpoint, environment) : appApiText(endpoint)]
    .filter((part): part is string => Boolean(part))
    .join(" · ");
  const tooltip = flash ? endpointTooltip(app, endpoint, label, kind) : resourceTooltip(app, endpoint, label, kind);
  const routes = endpoint.kind === "load-balanced" ? endpoint.routes ?? [] : [];
  const routeIds = uniqueIds(routes.map((route) => `${id}#${routeName(route)}`));
  const contextValue = !flash
    ? APP_API_CONTEXT.endpoint
    : endpoint.kind === "unused"
      ? "flash.endpoint.unused"
      : "flash.endpoint.callable";
  return {
    id,
    type: "endpoint",
    label,
    description,
    tooltip,
    contextValue,
    icon: KIND_ICONS[endpoint.kind] ?? "symbol-event",
    location: endpoint.location ?? undefined,
    args: { uri, endpoint: name },
    children: routes.map((route, index) => {
      const routeLabel = routeName(route);
      return {
        id: routeIds[index],
        type: "route" as const,
        label: routeLabel,
        description: route.function ? `${route.function}()` : undefined,
        tooltip: `${routeLabel} on ${label}${route.function ? `: ${route.function}()` : ""}`,
        contextValue: flash ? "flash.route" : APP_API_CONTEXT.route,
        icon: "symbol-method",
        location: route.location ?? endpoint.location ?? undefined,
        args: { uri, endpoint: name, route: routeLabel },
        children: [],
      };
    }),
  };
}

function endpointTooltip(app: AppInfo, endpoint: EndpointInfo, label: string, kind: string): string {
  const environment = app.environment ?? null;
  return [
    `${label} (${kind} endpoint of ${app.name})`,
    endpoint.hardware ? `Hardware: ${endpoint.hardware}` : undefined,
    endpoint.deployed?.url ? `URL: ${endpoint.deployed.url}` : undefined,
    endpoint.deployed?.endpointId ? `Endpoint id: ${endpoint.deployed.endpointId}` : undefined,
    endpoint.deployed
      ? `Deployed to ${endpoint.deployed.environment ?? environment ?? "?"}${
          formatTime(endpoint.deployed.deployedAt) ? ` at ${formatTime(endpoint.deployed.deployedAt)}` : ""
        }`
      : `Not deployed${environment ? ` in ${environment}` : ""}`,
  ]
    .filter((line): line is string => Boolean(line))
    .join("\n");
}

/** An app API resource: its App; flash-ls neither deploys nor calls it. */
function resourceTooltip(app: AppInfo, endpoint: EndpointInfo, label: string, kind: string): string {
  return [
    `${label} (${kind} resource of ${appApiText(endpoint)}, in ${app.name})`,
    endpoint.hardware ? `Hardware: ${endpoint.hardware}` : undefined,
    "Deployed with runpod's CLI (rp flash deploy): flash-ls does not deploy or call it",
  ]
    .filter((line): line is string => Boolean(line))
    .join("\n");
}

/**
 * The nodes of the view: one per app (its environment in the description), then its endpoints. A
 * project whose endpoints are all app API resources shows their Apps instead, and has no Deploy.
 */
export function treeModel(result: EndpointsResult | null | undefined): TreeNode[] {
  const apps = result?.apps ?? [];
  return apps.map((app) => {
    const endpoints = app.endpoints ?? [];
    const appApiOnly = endpoints.length > 0 && !endpoints.some(isFlashEndpoint);
    const appNames = [...new Set(endpoints.map(appApiText))].join(", ");
    return {
      id: rootKey(app.root),
      type: "app" as const,
      label: app.name,
      description: appApiOnly ? appNames : app.environment ? app.environment : "no environment",
      tooltip: appApiOnly
        ? `${appNames}: ${rootKey(app.root)}\nDeployed with runpod's CLI (rp flash deploy), not by flash-ls`
        : [
            `Flash app ${app.name}: ${rootKey(app.root)}`,
            app.environment
              ? `Active environment: ${app.environment}${sourceText(app.environmentSource) ? ` (from ${sourceText(app.environmentSource)})` : ""}`
              : "No active environment",
          ].join("\n"),
      contextValue: appApiOnly ? APP_API_CONTEXT.app : "flash.app",
      icon: "cloud",
      args: { uri: app.root },
      children: endpointNodes(app),
    };
  });
}

function endpointNodes(app: AppInfo): TreeNode[] {
  const endpoints = app.endpoints ?? [];
  const ids = uniqueIds(endpoints.map((endpoint) => `${rootKey(app.root)}#${endpoint.name}`));
  return endpoints.map((endpoint, index) => endpointNode(app, endpoint, ids[index]));
}

/**
 * Ids VS Code accepts (it refuses two tree items with one id): a name declared twice (a mistake
 * the server reports) gets `#2`, `#3` ... after the first.
 */
export function uniqueIds(ids: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const count = (seen.get(id) ?? 0) + 1;
    seen.set(id, count);
    return count === 1 ? id : `${id}#${count}`;
  });
}

/** The app of a root (a path or a URI) in a `flash.endpoints` answer. */
export function findApp(result: EndpointsResult | null | undefined, root: string): AppInfo | undefined {
  const key = rootKey(root);
  return (result?.apps ?? []).find((app) => rootKey(app.root) === key);
}

/** The active environment of each app the tree lists (`{root path: environment}`). */
export function environmentsOf(result: EndpointsResult | null | undefined): Record<string, string | null> {
  const found: Record<string, string | null> = {};
  for (const app of result?.apps ?? []) {
    found[rootKey(app.root)] = app.environment ?? null;
  }
  return found;
}

export interface RequestTarget {
  label: string;
  description?: string;
  args: EndpointArgs;
}

/**
 * What "Copy curl" offers when no endpoint is given: each callable endpoint of the app at `root`
 * (every app when undefined); a load-balanced endpoint once per route.
 */
export function requestTargets(result: EndpointsResult | null | undefined, root?: string): RequestTarget[] {
  const targets: RequestTarget[] = [];
  const key = root === undefined ? undefined : rootKey(root);
  for (const node of treeModel(result)) {
    if (key !== undefined && node.id !== key) {
      continue;
    }
    for (const endpoint of node.children) {
      if (endpoint.contextValue !== "flash.endpoint.callable") {
        continue;
      }
      if (endpoint.children.length > 0) {
        for (const route of endpoint.children) {
          targets.push({ label: `${endpoint.label}: ${route.label}`, description: node.label, args: route.args });
        }
      } else {
        targets.push({ label: endpoint.label, description: node.label, args: endpoint.args });
      }
    }
  }
  return targets;
}

/**
 * The arguments of a command run from a code lens (`{uri, endpoint}`), a tree node (VS Code passes
 * the node) or the palette (nothing).
 */
export function commandArgs(value: unknown): EndpointArgs & Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {};
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type === "string" && typeof record.contextValue === "string" && record.args && typeof record.args === "object") {
    return { ...(record.args as EndpointArgs) };
  }
  return { ...record };
}
