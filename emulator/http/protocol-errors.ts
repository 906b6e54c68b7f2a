/**
 * Answers for what Node's HTTP parser rejects before any route sees it: an unknown method, headers over Node's
 * 16 KB limit, a bad Content-Length, Content-Length together with Transfer-Encoding, bad chunking, a request that
 * takes too long to arrive, a CONNECT. Each gets an HTTP/1.1 status line (400, 408, 413 or 431) with a short text
 * that names the problem, and the connection is closed after it: a client is never left with a dropped connection
 * and no idea why (see Node's docs for server.on('clientError')).
 */
import * as http from "node:http";
import type { Duplex } from "node:stream";

/**
 * How long an answered connection stays open to read what its client is still sending. Closing a socket with
 * unread bytes makes the kernel reset the connection, and a client may then lose the answer it had not yet read.
 */
const LINGER_MS = 2_000;

interface ParseError extends Error {
  code?: string;
  /** llhttp's own description of what it could not parse, e.g. "Invalid method encountered". */
  reason?: string;
}

export function answerProtocolErrors(server: http.Server): void {
  // The exchange under way on each connection: an answer of ours must not cut into one that is being written.
  const inFlight = new WeakMap<Duplex, { request: http.IncomingMessage; response: http.ServerResponse }>();
  // Connections whose last answer said Connection: close: Node closes them, and nothing may follow that answer.
  const closing = new WeakSet<Duplex>();
  const track = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, { request, response });
    response.on("finish", () => {
      if (!response.shouldKeepAlive) closing.add(socket);
    });
    response.on("close", () => {
      if (inFlight.get(socket)?.response === response) inFlight.delete(socket);
    });
  };
  server.on("request", track);
  // Node answers an Expect it does not meet with a bare 417 and emits no "request": the same answer, here, where it is
  // tracked, so bytes the client sends after it do not draw a second answer behind it.
  server.on("checkExpectation", (request: http.IncomingMessage, response: http.ServerResponse) => {
    track(request, response);
    response.writeHead(417);
    response.end();
  });

  const answered = new WeakSet<Duplex>();
  server.on("clientError", (error: ParseError, socket: Duplex) => {
    // The parser reports again for every later chunk of a connection it gave up on; one answer is enough.
    if (answered.has(socket) || closing.has(socket)) return;
    answered.add(socket);
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, text } = describe(error, server);
    const exchange = inFlight.get(socket);
    // An answer already written that ends the connection: Node closes it after that answer, and nothing may follow.
    if (exchange?.response.writableEnded && !exchange.response.shouldKeepAlive) return;
    if (!exchange || exchange.response.writableFinished || (!exchange.request.complete && !exchange.response.headersSent)) {
      // Nothing under way, or the broken (or too slow) request is the one under way and has no answer yet.
      endWithAnswer(socket, status, text);
    } else if (exchange.request.complete) {
      // The bad bytes follow a complete request (pipelined): its answer goes out first, then ours, unless that
      // answer ends the connection (Connection: close: Node closes it, and nothing more may be sent after it).
      const { response } = exchange;
      response.once("close", () => {
        if (!response.writableFinished) socket.destroy();
        else if (!closing.has(socket)) endWithAnswer(socket, status, text);
      });
    } else {
      // Part of an answer is out already and its request broke off: nothing more can be said on this connection.
      socket.destroy();
    }
  });

  // With no listener Node drops a CONNECT without a word; this is not a proxy, so say so.
  server.on("connect", (_request: http.IncomingMessage, socket: Duplex) => {
    socket.on("error", () => socket.destroy());
    endWithAnswer(socket, 400, "This emulator is not a proxy: it does not accept CONNECT. Send requests to it directly.");
  });
}

function describe(error: ParseError, server: http.Server): { status: number; text: string } {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        text: `The request's headers are larger than ${http.maxHeaderSize} bytes. Send fewer or shorter headers (large cookies are the usual cause).`,
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, text: "The request's chunk extensions are too large. Send the body without chunk extensions." };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        text:
          `The request took too long to arrive: its headers must arrive within ${seconds(server.headersTimeout)} and the whole ` +
          `request within ${seconds(server.requestTimeout)}. Send it again without pausing.`,
      };
    default: {
      // llhttp's reasons are fixed strings; strip anything unprintable all the same, as this goes into a raw answer.
      const reason = (error.reason ?? error.code ?? "unreadable request").replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
      return {
        status: 400,
        text:
          `This is not a valid HTTP/1.1 request (${reason}). Check the request line (METHOD /path HTTP/1.1), the headers, ` +
          "and the body's framing: Content-Length or Transfer-Encoding: chunked, not both.",
      };
    }
  }
}

function endWithAnswer(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) return;
  const body = Buffer.from(`${text}\n`, "utf8");
  const head =
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${body.length}\r\n` +
    "Connection: close\r\n\r\n";
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
  const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once("end", () => socket.destroy());
  socket.once("close", () => clearTimeout(linger));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
