// Client settings shared by every AWS SDK client upg creates. The SDK itself reads the standard
// credential chain and the service-specific endpoint variables (AWS_ENDPOINT_URL_API_GATEWAY,
// AWS_ENDPOINT_URL_DYNAMODB); upg adds --profile, --region and explicit endpoints for tests.

export interface AwsTarget {
  region: string;
  profile?: string;
  /** Explicit endpoint (tests, sandbox). Otherwise the SDK's own resolution applies. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per call including the first (SDK retry). */
  maxAttempts?: number;
}

export interface SdkClientConfig {
  region: string;
  profile?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  retryMode: "adaptive" | "standard";
}

export function sdkClientConfig(t: AwsTarget): SdkClientConfig {
  const cfg: SdkClientConfig = { region: t.region, maxAttempts: t.maxAttempts ?? 5, retryMode: "adaptive" };
  if (t.profile) cfg.profile = t.profile;
  if (t.endpoint) cfg.endpoint = t.endpoint;
  if (t.credentials) cfg.credentials = t.credentials;
  return cfg;
}
