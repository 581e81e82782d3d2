// Server answers as docs/editor-protocol.md shows them (and as the engine dumps them).
import { EndpointsResult, EnvironmentList } from "../src/protocol";

export const endpoints: EndpointsResult = {
  apps: [
    {
      root: "file:///work/app",
      name: "app",
      environment: "staging",
      environmentSource: "flash-ls env use",
      endpoints: [
        {
          name: "gpu-worker",
          label: "gpu-worker",
          kind: "queue",
          hardware: "GPU: A100 80GB",
          location: {
            uri: "file:///work/app/worker.py",
            range: { start: { line: 4, character: 0 }, end: { line: 4, character: 30 } },
          },
          deployed: {
            environment: "staging",
            url: "https://api.runpod.ai/v2/abc123",
            endpointId: "abc123",
            deployedAt: 1764880000.0,
          },
          routes: [],
        },
        {
          name: "api",
          kind: "load-balanced",
          hardware: "CPU: cpu3c-2-4",
          location: {
            uri: "file:///work/app/api.py",
            range: { start: { line: 2, character: 0 }, end: { line: 2, character: 20 } },
          },
          deployed: null,
          routes: [
            {
              method: "POST",
              path: "/generate",
              function: "generate",
              location: {
                uri: "file:///work/app/api.py",
                range: { start: { line: 6, character: 0 }, end: { line: 6, character: 12 } },
              },
            },
            { method: "get", path: "/health", function: "health", location: null },
          ],
        },
        {
          name: "helper",
          kind: "unused",
          hardware: "CPU: cpu3c-1-2",
          location: null,
          deployed: null,
          routes: [],
        },
      ],
    },
    { root: "file:///work/other%20app", name: "other", environment: null, endpoints: [] },
  ],
};

export const environments: EnvironmentList = {
  app: "app",
  active: "staging",
  source: "flash-ls env use",
  environments: [
    { id: "e1", name: "production", state: "HEALTHY", active_build_id: "b0123456789", endpoints: [{}, {}] },
    { id: "e2", name: "staging", state: "HEALTHY", active_build_id: null, endpoints: [{}] },
  ],
};

/** `flash.deploy` as the server answers it today: DeployResult.model_dump (snake_case). */
export const deployResult = {
  deployed: true,
  app: "app",
  environment: "staging",
  environment_id: "env1",
  build_id: "build123456",
  artifact_unchanged: false,
  dry_run: false,
  created_app: false,
  created_environment: false,
  endpoints: [
    { name: "gpu-worker", action: "update", changes: ["gpu"], endpoint_id: "abc123" },
    { name: "api", action: "create", endpoint_id: "def456" },
    { name: "cpu", action: "keep" },
  ],
  removed: [],
  pruned: false,
  warnings: [],
};

/**
 * `flash.endpoints` with the app API of `runpod`: a project with only `runpod.App` resources (a
 * queue function, an `@app.api` class with two routes, a task) and one using both SDKs.
 */
export const appApiEndpoints: EndpointsResult = {
  apps: [
    {
      root: "file:///work/demo",
      name: "demo",
      environment: null,
      environmentSource: null,
      endpoints: [
        {
          name: "transcribe",
          label: "transcribe",
          sdk: "runpod",
          app: "demo",
          kind: "queue",
          kindLabel: "queue-based",
          hardware: "GPU H100",
          location: {
            uri: "file:///work/demo/main.py",
            range: { start: { line: 6, character: 0 }, end: { line: 8, character: 28 } },
          },
          deployed: null,
          routes: [],
        },
        {
          name: "Inference",
          label: "Inference",
          sdk: "runpod",
          app: "demo",
          kind: "load-balanced",
          kindLabel: "load-balanced",
          hardware: "CPU cpu5c-2-4 (2 vCPU, 4 GB)",
          location: {
            uri: "file:///work/demo/main.py",
            range: { start: { line: 11, character: 0 }, end: { line: 23, character: 33 } },
          },
          deployed: null,
          routes: [
            {
              method: "POST",
              path: "/generate",
              function: "generate",
              location: {
                uri: "file:///work/demo/main.py",
                range: { start: { line: 17, character: 5 }, end: { line: 17, character: 29 } },
              },
            },
            {
              method: "GET",
              path: "/status",
              function: "status",
              location: {
                uri: "file:///work/demo/main.py",
                range: { start: { line: 21, character: 5 }, end: { line: 21, character: 24 } },
              },
            },
          ],
        },
        {
          name: "finetune",
          label: "finetune",
          sdk: "runpod",
          app: "demo",
          kind: "task",
          kindLabel: "task",
          hardware: "GPU B200",
          location: {
            uri: "file:///work/demo/main.py",
            range: { start: { line: 26, character: 0 }, end: { line: 28, character: 16 } },
          },
          deployed: null,
          routes: [],
        },
      ],
    },
    {
      root: "file:///work/mixed",
      name: "mixed",
      environment: "staging",
      environmentSource: "active (flash-ls env use)",
      endpoints: [
        {
          name: "flash-worker",
          label: "flash-worker",
          sdk: "runpod_flash",
          kind: "queue",
          kindLabel: "queue-based",
          hardware: "GPU ADA_24",
          location: {
            uri: "file:///work/mixed/flash_worker.py",
            range: { start: { line: 5, character: 0 }, end: { line: 7, character: 12 } },
          },
          deployed: null,
          routes: [],
        },
        {
          name: "app_work",
          label: "app_work",
          sdk: "runpod",
          app: "mixed-app",
          kind: "queue",
          kindLabel: "queue-based",
          hardware: "GPU ADA_24",
          location: {
            uri: "file:///work/mixed/app_api.py",
            range: { start: { line: 5, character: 0 }, end: { line: 7, character: 12 } },
          },
          deployed: null,
          routes: [],
        },
      ],
    },
  ],
};
