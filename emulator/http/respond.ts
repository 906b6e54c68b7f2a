/** Writing an answer: the one place a body becomes text and gets its Content-Type. */
import type * as http from "node:http";

/** Writes a JSON (or empty) answer; never throws, even on a connection that went away. */
export function send(response: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const contentType = body === undefined ? {} : { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8" };
  response.writeHead(status, { ...contentType, ...headers });
  response.end(text);
}
