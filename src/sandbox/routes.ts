/** Every emulated operation. Anything else answers 404 UnknownOperationException. */
import { fail } from "./errors.js";
import { apiKeyRoutes } from "./handlers/api-keys.js";
import { importApiKeysRoute } from "./handlers/import-api-keys.js";
import { resourceRoutes } from "./handlers/resources.js";
import { restApiRoutes } from "./handlers/rest-apis.js";
import { stageRoutes } from "./handlers/stages.js";
import { tagRoutes } from "./handlers/tags.js";
import { usageRoutes } from "./handlers/usage.js";
import { usagePlanKeyRoutes } from "./handlers/usage-plan-keys.js";
import { usagePlanRoutes } from "./handlers/usage-plans.js";
import { type Route, Router } from "./router.js";

/** ImportRestApi shares CreateRestApi's path; it is recognised only to refuse it clearly. */
const importRestApiRoute: Route = {
  method: "POST",
  path: "/restapis",
  query: { mode: "import" },
  op: "ImportRestApi",
  handler: () => fail("UnknownOperationException", "ImportRestApi is not supported by the sandbox"),
};

export const ROUTES: readonly Route[] = [
  ...usagePlanRoutes,
  ...usagePlanKeyRoutes,
  importApiKeysRoute,
  ...apiKeyRoutes,
  ...usageRoutes,
  importRestApiRoute,
  ...restApiRoutes,
  ...resourceRoutes,
  ...stageRoutes,
  ...tagRoutes,
];

export function createRouter(): Router {
  return new Router(ROUTES);
}
