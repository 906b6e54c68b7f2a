/**
 * The built-in activity behind `context.df.callHttp`: the emulator makes the request itself, as the Durable Task
 * extension's TaskHttpActivityShim does with its HttpClient, and hands the package a DurableHttpResponse. Polling a
 * 202 + Location answer is the extension's loop (DurableOrchestrationContext.CallHttpAsync), which the package
 * mirrors under replay schema V3+; a poll GETs the last Location.
 *
 * What the package sees is what .NET's HttpClient gives the extension: redirects followed (RedirectHandler), the
 * response headers without the content headers (DurableHttpResponse.CreateStringValuesHeaderDictionary reads
 * HttpResponseMessage.Headers), known header names in .NET's casing and others as the server sent them, and a
 * failed connection as an HttpRequestException.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { DurableHttpRequestDto } from "../core/tasks";
import type { FailureDetailsDto } from "../history/history-event";
import { newtonsoftJson, serializableException } from "./dotnet-exceptions";

export interface DurableHttpResponseDto {
  statusCode: number;
  content: string;
  /** One string per header, or an array when the header came more than once (HttpHeadersConverter.WriteJson). */
  headers: Record<string, string | string[]>;
}

export interface HttpActivityInput extends DurableHttpRequestDto {
  pollLocation?: string;
}

/** The TaskFailed event an HTTP activity ends with on Azure. */
export class HttpActivityFailure extends Error {
  constructor(
    readonly reason: string,
    readonly details: string,
    readonly failureDetails?: FailureDetailsDto,
  ) {
    super(reason);
  }
}

/** DurableHttpClientFactory.cs:21: the extension's HttpClient times out after 240 s. */
export const HTTP_ACTIVITY_TIMEOUT_MS = 240_000;
/** HttpClientHandler.MaxAutomaticRedirections. */
const MAX_REDIRECTS = 50;

/**
 * The headers .NET keeps on HttpContent, not on the response (System.Net.Http Headers/KnownHeaders.cs, those of
 * HttpHeaderType.Content): the extension never sees them.
 */
const CONTENT_HEADERS = new Set([
  "allow",
  "content-disposition",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-md5",
  "content-range",
  "content-type",
  "expires",
  "last-modified",
]);

/** .NET matches these names case-insensitively and writes them in this casing (KnownHeaders.cs). */
const KNOWN_HEADER_NAMES = new Map(
  [
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Patch",
    "Accept-Ranges",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Age",
    "Allow",
    "Alt-Svc",
    "Alt-Used",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Security-Policy",
    "Content-Type",
    "Cookie",
    "Cookie2",
    "Date",
    "ETag",
    "Expect",
    "Expect-CT",
    "Expires",
    "From",
    "grpc-encoding",
    "grpc-message",
    "grpc-status",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Keep-Alive",
    "Last-Modified",
    "Link",
    "Location",
    "Max-Forwards",
    "Origin",
    "P3P",
    "Pragma",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Connection",
    "Proxy-Support",
    "Public-Key-Pins",
    "Range",
    "Referer",
    "Referrer-Policy",
    "Refresh",
    "Retry-After",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Version",
    "Server",
    "Server-Timing",
    "Set-Cookie",
    "Set-Cookie2",
    "Strict-Transport-Security",
    "TE",
    "TSV",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Upgrade-Insecure-Requests",
    "User-Agent",
    "Vary",
    "Via",
    "WWW-Authenticate",
    "Warning",
    "X-AspNet-Version",
    "X-Cache",
    "X-Content-Duration",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-MSEdge-Ref",
    "X-Powered-By",
    "X-Request-ID",
    "X-UA-Compatible",
    "X-XSS-Protection",
  ].map((name) => [name.toLowerCase(), name]),
);

/** The response headers as the extension's DurableHttpResponse holds them. */
export function durableResponseHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (CONTENT_HEADERS.has(lower)) continue;
    const entry = byName.get(lower) ?? { name: KNOWN_HEADER_NAMES.get(lower) ?? rawHeaders[i], values: [] };
    entry.values.push(rawHeaders[i + 1]);
    byName.set(lower, entry);
  }
  const headers: Record<string, string | string[]> = {};
  for (const { name, values } of byName.values()) headers[name] = values.length === 1 ? values[0] : values;
  return headers;
}

/** The poll's URL: the extension takes `new Uri(Location)`, so only an absolute Location polls where it points. */
export function pollTarget(location: string): { url: URL } | { unsupportedScheme: string } | { invalid: true } {
  try {
    const url = new URL(location);
    return url.protocol === "http:" || url.protocol === "https:" ? { url } : { unsupportedScheme: url.protocol.slice(0, -1) };
  } catch {
    // On Linux .NET reads "/path" as a file path (file:///path); anything else relative does not parse.
    return location.startsWith("/") ? { unsupportedScheme: "file" } : { invalid: true };
  }
}

interface RawResponse {
  status: number;
  rawHeaders: string[];
  body: Buffer;
}

function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? https : http).request(url, { method, headers, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** RedirectHandler.GetUriForRedirect: where a 3xx sends the request next, if it is followed. */
function redirectTarget(from: URL, response: RawResponse): URL | undefined {
  if (![300, 301, 302, 303, 307, 308].includes(response.status)) return undefined;
  const index = response.rawHeaders.findIndex((value, i) => i % 2 === 0 && value.toLowerCase() === "location");
  if (index < 0) return undefined;
  let target: URL;
  try {
    target = new URL(response.rawHeaders[index + 1], from);
  } catch {
    return undefined;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return undefined;
  if (!target.hash && from.hash) target.hash = from.hash;
  // No automatic redirection from https to http.
  if (from.protocol === "https:" && target.protocol !== "https:") return undefined;
  return target;
}

/** RedirectHandler.RequestRequiresForceGet. */
function forcesGet(status: number, method: string): boolean {
  if (status === 301 || status === 302 || status === 300) return method === "POST";
  if (status === 303) return method !== "GET" && method !== "HEAD";
  return false;
}

export async function runHttpActivity(input: HttpActivityInput, timeoutMs = HTTP_ACTIVITY_TIMEOUT_MS): Promise<DurableHttpResponseDto> {
  const polling = input.pollLocation !== undefined;
  let url: URL;
  if (polling) {
    const target = pollTarget(input.pollLocation as string);
    if ("unsupportedScheme" in target) throw unsupportedScheme(target.unsupportedScheme);
    if ("invalid" in target) throw new Error(`The poll location "${input.pollLocation}" is not an absolute URI.`);
    url = target.url;
  } else {
    url = new URL(input.uri);
  }
  let method = polling ? "GET" : (input.method || "GET").toUpperCase();
  const headers: Record<string, string> = {};
  let contentType = "";
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    // A poll repeats the request's headers, less the function key (DurableOrchestrationContext.CreateLocationPollRequest).
    if (polling && name.toLowerCase() === "x-functions-key") continue;
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    if (name.toLowerCase() === "content-type") {
      // TaskHttpActivityShim.ConvertToHttpRequestMessage: the content type goes on the content; multipart is refused.
      if (text.includes("multipart")) {
        throw unhandledTaskException(
          "Microsoft.Azure.WebJobs.Extensions.DurableTask.FunctionFailedException",
          "Multipart content is not supported with CallHttpAsync.",
        );
      }
      contentType = text;
      continue;
    }
    headers[name] = text;
  }
  let body: Buffer | undefined;
  if (!polling && input.content !== undefined && input.content !== null) {
    body = Buffer.from(input.content, "utf8");
    if (!contentType) contentType = "text/plain";
    // StringContent(content, Encoding.UTF8, type) only for form data; otherwise the type is set as given.
    headers["Content-Type"] = contentType.toLowerCase() === "application/x-www-form-urlencoded" ? `${contentType}; charset=utf-8` : contentType;
    headers["Content-Length"] = String(body.length);
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let response: RawResponse;
  let redirects = 0;
  for (;;) {
    try {
      response = await send(url, method, headers, body, signal);
    } catch (error) {
      throw httpRequestFailure(url, error, signal.aborted, timeoutMs);
    }
    const next = redirectTarget(url, response);
    if (!next || ++redirects > MAX_REDIRECTS) break;
    delete headers.Authorization;
    for (const name of Object.keys(headers)) if (name.toLowerCase() === "authorization") delete headers[name];
    if (forcesGet(response.status, method)) {
      method = "GET";
      body = undefined;
      for (const name of Object.keys(headers)) if (/^content-(type|length)$/i.test(name)) delete headers[name];
    }
    url = next;
  }
  return { statusCode: response.status, content: response.body.toString("utf8"), headers: durableResponseHeaders(response.rawHeaders) };
}

/** What .NET's SocketException says on Linux for the Node error codes a connection can fail with. */
const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ENOTFOUND: "Name or service not known",
  EAI_AGAIN: "Resource temporarily unavailable",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  EADDRNOTAVAIL: "Cannot assign requested address",
};

/**
 * A request that did not get a response. TaskHttpActivityShim.cs:91-95 turns an HttpRequestException into a
 * TaskFailureException whose Reason is the exception's message (no "Activity function ... failed:" prefix) and whose
 * Details is the exception serialized; .NET's ConnectHelper words a failed connect as "<socket error> (host:port)".
 * The client's own timeout is a TaskCanceledException the shim does not catch: DurableTask.Core's
 * TaskActivityDispatcher.cs:214-223 then records its FailureDetails.
 */
function httpRequestFailure(url: URL, error: unknown, timedOut: boolean, timeoutMs: number): HttpActivityFailure {
  if (timedOut) {
    return unhandledTaskException(
      "System.Threading.Tasks.TaskCanceledException",
      `The request was canceled due to the configured HttpClient.Timeout of ${timeoutMs / 1000} seconds elapsing.`,
    );
  }
  const code = (error as NodeJS.ErrnoException)?.code ?? (error as { cause?: NodeJS.ErrnoException })?.cause?.code ?? "";
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const socketMessage = SOCKET_ERRORS[code];
  let message: string;
  let inner: object | null = null;
  if (socketMessage) {
    message = `${socketMessage} (${url.hostname.replace(/^\[|\]$/g, "")}:${port})`;
    inner = serializableException({
      type: "System.Net.Sockets.SocketException",
      assembly: "System.Net.Primitives",
      message: socketMessage,
      hresult: -2147467259,
      source: "System.Net.Sockets",
    });
  } else if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    message = "The SSL connection could not be established, see inner exception.";
  } else {
    message = "An error occurred while sending the request.";
  }
  const exception = serializableException({
    type: "System.Net.Http.HttpRequestException",
    assembly: "System.Net.Http",
    message,
    inner,
    hresult: -2147467259,
    source: "System.Net.Http",
  });
  return new HttpActivityFailure(message, newtonsoftJson(exception));
}

function unsupportedScheme(scheme: string): HttpActivityFailure {
  return unhandledTaskException("System.NotSupportedException", `The '${scheme}' scheme is not supported.`);
}

/** An exception the HTTP activity does not catch (TaskActivityDispatcher.cs:214-223: FailureDetails(e), e.Message). */
function unhandledTaskException(type: string, message: string): HttpActivityFailure {
  return new HttpActivityFailure(message, `Unhandled exception while executing task: ${type}: ${message}`, {
    ErrorType: type,
    ErrorMessage: message,
    IsNonRetriable: false,
  });
}
