/**
 * The built-in activity behind `context.df.callHttp`: the emulator makes the request itself, as the Durable Task
 * extension does, and hands the package a DurableHttpResponse. Polling a 202 + Location answer is the package's
 * job under replay schema V3+ (it schedules a timer and a poll); a poll GETs the last Location.
 */
import type { DurableHttpRequestDto } from "../app-host/protocol";

export interface DurableHttpResponseDto {
  statusCode: number;
  content: string;
  headers: Record<string, string>;
}

export interface HttpActivityInput extends DurableHttpRequestDto {
  pollLocation?: string;
}

export async function runHttpActivity(input: HttpActivityInput, timeoutMs = 100_000): Promise<DurableHttpResponseDto> {
  const polling = input.pollLocation !== undefined;
  const url = polling ? new URL(input.pollLocation as string, input.uri).toString() : input.uri;
  const method = polling ? "GET" : (input.method || "GET").toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    // A poll repeats the request's headers, less the function key (as the Durable extension does).
    if (polling && name.toLowerCase() === "x-functions-key") continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  if (!polling && input.content !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "text/plain; charset=utf-8";
  }
  const response = await fetch(url, {
    method,
    headers,
    body: !polling && input.content !== undefined && method !== "GET" && method !== "HEAD" ? input.content : undefined,
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  return { statusCode: response.status, content: await response.text(), headers: responseHeaders };
}
