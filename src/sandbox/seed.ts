/** The sample REST API `weather-api` (stages dev and prod, a few methods) and a few API keys. */
import { createApiKeyRecord } from "./handlers/api-keys.js";
import {
  createResourceRecord,
  putIntegrationRecord,
  putMethodRecord,
  requireResource,
} from "./handlers/resources.js";
import { createRestApiRecord } from "./handlers/rest-apis.js";
import { createDeploymentRecord } from "./handlers/stages.js";
import type { Resource, RestApi, SandboxState } from "./state.js";
import type { SeedResult } from "./types.js";

const SAMPLE_METHODS: ReadonlyArray<readonly [path: string, method: string]> = [
  ["/forecast", "GET"],
  ["/forecast/{city}", "GET"],
  ["/alerts", "GET"],
  ["/alerts", "POST"],
];

const SAMPLE_KEYS: ReadonlyArray<{ name: string; customerId: string; description: string }> = [
  { name: "acme-dashboard", customerId: "acme", description: "Acme Corp weather dashboard" },
  { name: "globex-mobile", customerId: "globex", description: "Globex mobile app" },
  { name: "initech-batch", customerId: "initech", description: "Initech nightly batch jobs" },
];

/** The resource for `path`, created with its parents when missing. */
function ensureResource(
  state: SandboxState,
  api: RestApi,
  path: string,
  known: Map<string, Resource>,
): Resource {
  const found = known.get(path);
  if (found) return found;
  const cut = path.lastIndexOf("/");
  const parent = ensureResource(state, api, cut === 0 ? "/" : path.slice(0, cut), known);
  const resource = createResourceRecord(state, api, parent.id, path.slice(cut + 1));
  known.set(path, resource);
  return resource;
}

/** Seeds directly in the store, so it is neither throttled, faulted nor counted. */
export function seedSampleData(state: SandboxState, nowMs: number): SeedResult {
  const api = createRestApiRecord(
    state,
    { name: "weather-api", description: "Sample API seeded by upg sandbox", endpointTypes: ["REGIONAL"] },
    nowMs,
  );
  const known = new Map([["/", requireResource(api, api.rootResourceId)]]);
  for (const [path, httpMethod] of SAMPLE_METHODS) {
    const resource = ensureResource(state, api, path, known);
    const method = putMethodRecord(resource, httpMethod, { authorizationType: "NONE", apiKeyRequired: true });
    putIntegrationRecord(method, { type: "MOCK" });
  }
  const stages: Record<string, string> = {};
  for (const stageName of ["dev", "prod"]) {
    const description = `${stageName} deployment`;
    stages[stageName] = createDeploymentRecord(state, api, { stageName, description }, nowMs).id;
  }
  const apiKeys = SAMPLE_KEYS.map((k) => {
    const key = createApiKeyRecord(state, { ...k, enabled: true }, nowMs);
    return { id: key.id, name: k.name, value: key.value };
  });
  const resources = Object.fromEntries([...known].map(([path, r]) => [path, r.id]));
  const methods = SAMPLE_METHODS.map(([path, m]) => `${m} ${path}`);
  return {
    restApiId: api.id,
    restApiName: api.name,
    rootResourceId: api.rootResourceId,
    resources,
    methods,
    stages,
    apiKeys,
  };
}
