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
