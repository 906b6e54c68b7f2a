/**
 * What a failed activity looks like by the time it reaches the orchestrator on Azure. The Node worker sends the
 * error's message and stack (azure-functions-nodejs-worker src/setupEventStream.ts:109-117); the Functions host wraps
 * them in an RpcException whose message is "Result: Failure\nType: \nException: <message>\nStack: <stack>"
 * (azure-functions-host src/WebJobs.Script/Workers/Rpc/RpcException.cs:12, the message through Sanitizer.cs); the
 * Durable extension cuts the text between "\nException:" and "\nStack:" out of it as a new Exception (leading space
 * included: OutOfProcExceptionHelpers.cs:23-44,85-93) and records TaskFailed with Reason "Activity function 'X'
 * failed: <that text>" and Details = that exception serialized by Newtonsoft.Json with TypeNameHandling.Objects
 * (TaskActivityShim.cs:100-124, ErrorSerializerSettingsFactory.cs:28-33). The package then throws
 * `new Error(Reason + " \n " + Details)` in the orchestrator (durable-functions lib/src/orchestrations/
 * TaskOrchestrationExecutor.js:223-226). The shape below is that of the TaskFailed Details in a production log
 * (extension 3.12.3 on Linux, .NET 8); the host's own stack frames in it are that build's.
 */

/** Sanitizer.Sanitize of the Functions host (src/WebJobs.Script/Sanitizer.cs): credentials in a message are hidden. */
const SECRET_REPLACEMENT = "[Hidden Credential]";
const VALUE_TERMINATORS = ["<", '"', "'"];
const ALLOWED_TOKENS = ["PublicKeyToken="];
const CREDENTIAL_TOKENS = [
  "Token=",
  "DefaultEndpointsProtocol=http",
  "AccountKey=",
  "Data Source=",
  "Server=",
  "Password=",
  "pwd=",
  "&amp;sig=",
  "&sig=",
  "?sig=",
  "SharedAccessKey=",
  "&amp;code=",
  "&code=",
  "?code=",
  "key=",
];
const URL_WITH_PASSWORD = /\b([a-zA-Z]+):\/\/([^:/\s]+):([^@/\s]+)@([^:/\s]+):([0-9]+)\b/gi;

export function sanitize(input: string | undefined): string {
  if (!input) return "";
  if (!input.includes("=") && !input.includes(":")) return input;
  let text = input;
  let hidden = input;
  for (const allowed of ALLOWED_TOKENS) hidden = hidden.split(allowed).join("#".repeat(allowed.length));
  for (const token of CREDENTIAL_TOKENS) {
    const pattern = new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi");
    let start = 0;
    for (;;) {
      pattern.lastIndex = start;
      const found = pattern.exec(hidden);
      if (!found) break;
      start = found.index;
      // The two texts stay aligned: allowed tokens are masked with as many characters.
      const end = indexOfAny(text, VALUE_TERMINATORS, start);
      text = text.slice(0, start) + SECRET_REPLACEMENT + (end !== -1 ? text.slice(end) : "");
      hidden = hidden.slice(0, start) + SECRET_REPLACEMENT + (end !== -1 ? hidden.slice(end) : "");
    }
  }
  if (input.includes(":")) text = text.replace(URL_WITH_PASSWORD, SECRET_REPLACEMENT);
  return text;
}

function indexOfAny(text: string, chars: string[], from: number): number {
  let best = -1;
  for (const char of chars) {
    const at = text.indexOf(char, from);
    if (at !== -1 && (best === -1 || at < best)) best = at;
  }
  return best;
}

/** JSON text as Newtonsoft.Json writes it by default (it also escapes U+0085, U+2028 and U+2029). */
export function newtonsoftJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0085\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A .NET exception as Newtonsoft serializes an [Serializable] exception type (Exception.GetObjectData's fields). */
export interface DotNetException {
  /** Full type name, e.g. System.Net.Http.HttpRequestException. */
  type: string;
  assembly: string;
  message: string;
  inner?: object | null;
  stackTrace?: string | null;
  source?: string | null;
  hresult?: number;
}

export function serializableException(exception: DotNetException): Record<string, unknown> {
  return {
    $type: `${exception.type}, ${exception.assembly}`,
    ClassName: exception.type,
    Message: exception.message,
    Data: null,
    InnerException: exception.inner ?? null,
    HelpURL: null,
    StackTraceString: exception.stackTrace ?? null,
    RemoteStackTraceString: null,
    RemoteStackIndex: 0,
    ExceptionMethod: null,
    HResult: exception.hresult ?? -2146233088,
    Source: exception.source ?? null,
    WatsonBuckets: null,
  };
}

/** Where the Functions host rethrows a worker's failure (its frames on Linux, .NET 8). */
const HOST_INVOKER_STACK = [
  "   at Microsoft.Azure.WebJobs.Script.Description.WorkerFunctionInvoker.InvokeCore(Object[] parameters, FunctionInvocationContext context) in /_/src/WebJobs.Script.Grpc/WorkerFunctionInvoker.cs:line 103",
  "   at Microsoft.Azure.WebJobs.Script.Description.FunctionInvokerBase.Invoke(Object[] parameters) in /_/src/WebJobs.Script/Description/FunctionInvokerBase.cs:line 82",
  "   at Microsoft.Azure.WebJobs.Script.Description.FunctionGenerator.Coerce[T](Task`1 src) in /_/src/WebJobs.Script/Description/FunctionGenerator.cs:line 225",
  "   at Microsoft.Azure.WebJobs.Host.Executors.FunctionInvoker`2.InvokeAsync(Object instance, Object[] arguments) in /_/src/Microsoft.Azure.WebJobs.Host/Executors/FunctionInvoker.cs:line 53",
  "   at Microsoft.Azure.WebJobs.Host.Executors.FunctionExecutor.InvokeWithTimeoutAsync(IFunctionInvoker invoker, ParameterHelper parameterHelper, CancellationTokenSource timeoutTokenSource, CancellationTokenSource functionCancellationTokenSource, Boolean throwOnTimeout, TimeSpan timerInterval, IFunctionInstance instance) in /_/src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs:line 590",
  "   at Microsoft.Azure.WebJobs.Host.Executors.FunctionExecutor.ExecuteWithWatchersAsync(IFunctionInstanceEx instance, ParameterHelper parameterHelper, ILogger logger, CancellationTokenSource functionCancellationTokenSource) in /_/src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs:line 536",
  "   at Microsoft.Azure.WebJobs.Host.Executors.FunctionExecutor.ExecuteWithLoggingAsync(IFunctionInstanceEx instance, FunctionStartedMessage message, FunctionInstanceLogEntry instanceLogEntry, ParameterHelper parameterHelper, ILogger logger, CancellationToken cancellationToken) in /_/src/Microsoft.Azure.WebJobs.Host/Executors/FunctionExecutor.cs:line 315",
].join("\n");

const EXCEPTION_LABEL = "\nException:";
const STACK_LABEL = "\nStack:";
const OUT_OF_PROC_DATA_LABEL = "\n\n$OutOfProcData$:";

/**
 * Reason and Details of the TaskFailed event for a JavaScript activity that threw: `message` and `stack` are what
 * the Node worker sends (the error's message and stack).
 */
export function activityFunctionFailure(activityName: string, message: string, stack: string | undefined): { reason: string; details: string } {
  const remoteMessage = sanitize(message);
  const remoteStack = stack ?? "";
  const rpcMessage = `Result: Failure\nType: \nException: ${remoteMessage}\nStack: ${remoteStack}`;
  // OutOfProcExceptionHelpers.TryGetFullOutOfProcMessage / TryGetExceptionWithFriendlyMessage.
  const start = rpcMessage.indexOf(EXCEPTION_LABEL) + EXCEPTION_LABEL.length;
  let friendly = rpcMessage.slice(start, rpcMessage.indexOf(STACK_LABEL));
  const outOfProcData = friendly.indexOf(OUT_OF_PROC_DATA_LABEL);
  if (outOfProcData !== -1) friendly = friendly.slice(0, outOfProcData);
  // RpcException is not [Serializable]: Newtonsoft writes its public properties.
  const rpcException = {
    $type: "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script",
    IsUserException: false,
    RemoteStackTrace: remoteStack,
    RemoteMessage: remoteMessage,
    RemoteTypeName: null,
    Message: rpcMessage,
    Data: { $type: "System.Collections.ListDictionaryInternal, System.Private.CoreLib" },
    InnerException: null,
    HelpLink: null,
    Source: "System.Private.CoreLib",
    HResult: -2146233088,
    StackTrace: HOST_INVOKER_STACK,
  };
  const details = newtonsoftJson(
    serializableException({ type: "System.Exception", assembly: "System.Private.CoreLib", message: friendly, inner: rpcException }),
  );
  return { reason: `Activity function '${activityName}' failed: ${friendly}`, details };
}
