// The flash-ls LSP extensions as docs/editor-protocol.md describes them: command ids, notification
// methods and the shapes of their answers. No `vscode` import: the unit tests load this module.

/** Server commands (`workspace/executeCommand`). */
export const ServerCommand = {
  check: "flash.check",
  build: "flash.build",
  manifestPreview: "flash.manifest.preview",
  manifestShow: "flash.manifest.show",
  deploy: "flash.deploy",
  envList: "flash.env.list",
  envCurrent: "flash.env.current",
  envUse: "flash.env.use",
  envCreate: "flash.env.create",
  envDelete: "flash.env.delete",
  appList: "flash.app.list",
  authStatus: "flash.auth.status",
  endpoints: "flash.endpoints",
  endpointRequest: "flash.endpoint.request",
} as const;

/** Server notifications. */
export const Notification = {
  activeEnvironment: "flash/activeEnvironment",
  endpointsChanged: "flash/endpointsChanged",
} as const;

/** The `workspace/configuration` section (and `initializationOptions` key) of the server. */
export const SETTINGS_SECTION = "flash-ls";

/** Environments the server protects: changing them needs the user's confirmation. */
export const PROTECTED_ENVIRONMENTS: ReadonlySet<string> = new Set(["production"]);

export interface Position {
  line: number;
  character: number;
}

export interface Location {
  uri: string;
  range: { start: Position; end: Position };
}

/** `flash/activeEnvironment`, and the answer of `flash.env.current` / `flash.env.use`. */
export interface ActiveEnvironment {
  appRoot: string;
  environment: string | null;
  source: string | null;
}

export interface EndpointsChanged {
  roots: string[];
}

export interface Deployed {
  environment?: string | null;
  url?: string | null;
  endpointId?: string | null;
  deployedAt?: number | null;
}

export interface RouteInfo {
  method: string;
  path: string;
  function?: string | null;
  location?: Location | null;
}

/**
 * The SDK an endpoint is written for (`sdk` of a `flash.endpoints` entry): runpod_flash's
 * `Endpoint`, which flash-ls deploys and calls, or a resource of the app API of `runpod`
 * (`runpod.App`), which it only shows.
 */
export const Sdk = {
  flash: "runpod_flash",
  appApi: "runpod",
} as const;

export interface EndpointInfo {
  name: string;
  label?: string | null;
  kind: string; // queue | load-balanced | task | unused | client | mixed
  kindLabel?: string | null;
  /** `runpod_flash` or `runpod` (`Sdk`); absent from older servers: runpod_flash. */
  sdk?: string | null;
  /** App API resources: the name of their `runpod.App`. */
  app?: string | null;
  hardware?: string | null;
  location?: Location | null;
  deployed?: Deployed | null;
  routes?: RouteInfo[] | null;
}

/** Whether flash-ls deploys and calls the endpoint (a runpod_flash one), or only shows it. */
export function isFlashEndpoint(endpoint: EndpointInfo): boolean {
  return endpoint.sdk === undefined || endpoint.sdk === null || endpoint.sdk === Sdk.flash;
}

export interface AppInfo {
  root: string;
  name: string;
  environment?: string | null;
  environmentSource?: string | null;
  endpoints?: EndpointInfo[] | null;
}

/** The answer of `flash.endpoints`. */
export interface EndpointsResult {
  apps?: AppInfo[] | null;
}

/** The answer of `flash.endpoint.request`. */
export interface EndpointRequest {
  endpoint: string;
  environment?: string | null;
  deployed: boolean;
  method?: string;
  url?: string;
  body?: unknown;
  curl: string;
}

export interface EnvironmentInfo {
  id?: string;
  name: string;
  state?: string | null;
  activeBuildId?: string | null;
  active_build_id?: string | null;
  createdAt?: string | null;
  created_at?: string | null;
  endpoints?: unknown[];
}

/** The answer of `flash.env.list`. */
export interface EnvironmentList {
  app: string;
  active: string | null;
  source: string | null;
  environments: EnvironmentInfo[];
}

/** Arguments of the commands about one endpoint (code lenses, the tree, the palette). */
export interface EndpointArgs {
  uri?: string;
  endpoint?: string;
  route?: string;
}

/**
 * A field of a server answer whichever way it is spelled: the protocol document writes camelCase
 * (`sizeBytes`), the engine's models dump snake_case (`size_bytes`).
 */
export function field<T = unknown>(value: unknown, name: string): T | undefined {
  if (value === null || typeof value !== "object") {
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (name in record) {
    return record[name] as T;
  }
  const snake = name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  if (snake in record) {
    return record[snake] as T;
  }
  return undefined;
}

/**
 * A file system path for an app root as the server writes it: `flash/activeEnvironment` gives a
 * path (`/work/app`), `flash.endpoints` a URI (`file:///work/app`). Keys of maps about apps.
 */
export function rootKey(root: string): string {
  let path = root;
  if (/^file:/i.test(root)) {
    try {
      path = decodeURIComponent(new URL(root).pathname);
    } catch {
      path = root.replace(/^file:\/\//i, "");
    }
    // file:///c:/x -> c:/x
    if (/^\/[A-Za-z]:/.test(path)) {
      path = path.slice(1);
    }
  }
  path = path.replace(/\\/g, "/");
  if (/^[A-Za-z]:/.test(path)) {
    path = path[0].toLowerCase() + path.slice(1);
  }
  if (path.length > 1 && path.endsWith("/")) {
    path = path.slice(0, -1);
  }
  return path;
}
