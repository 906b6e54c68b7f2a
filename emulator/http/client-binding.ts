/**
 * The value a `durableClient` input binding receives: the URLs of this emulator's Durable HTTP API, in the shape
 * the Durable Task extension gives out-of-process workers, so `df.getClient(context)` works unmodified. The client
 * makes its own calls under rpcBaseUrl (the app's private endpoint, see app-client-endpoint.ts); the other URLs are
 * the public API's, which the client hands to callers in check-status responses.
 */
export const WEBHOOK_PATH = "/runtime/webhooks/durabletask";
export const INSTANCE_ID_PLACEHOLDER = "INSTANCEID";

export interface DurableClientBinding {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: ManagementUrls;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
}

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export function durableClientBinding(origin: string, taskHubName: string, rpcBaseUrl: string, connection = "Storage"): DurableClientBinding {
  const base = `${origin}${WEBHOOK_PATH}`;
  const query = `taskHub=${encodeURIComponent(taskHubName)}&connection=${connection}`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: managementUrls(origin, taskHubName, INSTANCE_ID_PLACEHOLDER, connection),
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl,
    httpBaseUrl: base,
  };
}

/** The check-status links of one instance (the placeholder instance id for the binding's templates). */
export function managementUrls(origin: string, taskHubName: string, instanceId: string, connection = "Storage"): ManagementUrls {
  const instance = `${origin}${WEBHOOK_PATH}/instances/${instanceId === INSTANCE_ID_PLACEHOLDER ? instanceId : encodeURIComponent(instanceId)}`;
  const query = `taskHub=${encodeURIComponent(taskHubName)}&connection=${connection}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}
