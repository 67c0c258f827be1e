// The control-plane HTTPS endpoint: one TLS listener (policy controlPlane, TLS 1.2 minimum) serving
// GET /health, the AWS JSON 1.1 APIs on POST / by X-Amz-Target (TrentService = KMS, SealMQIdentity =
// principals and access keys), and the Amazon MQ REST-JSON API under /v1/. It owns the HTTP concerns:
// body limits and timeouts, SigV4 before any API sees a request, JSON parsing, request ids, and the
// error shapes (api-errors.ts). What an operation does is the API's (KmsApi, MqApi, IdentityApi).
// Every API call, allowed or refused at any step (SigV4, parsing, authorization), is recorded once in
// #handle: one audit event (audit-api-events.ts) and one metrics observation. It also serves
// GET /metrics (Prometheus), behind a bearer token (see #serveMetrics for why).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AuditResource, AuditSink } from '../core/audit-sink.ts';
import type { CallerIdentity } from '../identity/caller.ts';
import type { ResolvedAccessKey } from '../identity/principal-store.ts';
import { SigV4Error, type SigV4Verifier } from '../identity/sigv4.ts';
import type { ServerCertificate } from '../transport/certificates.ts';
import { TLS_POLICIES, tlsServerOptions, type TlsPolicy } from '../transport/tls-policy.ts';
import { AwsApiError } from '../util/aws-error.ts';
import type { Logger } from '../util/logger.ts';
import {
  CONTENT_TYPE_AWS_JSON,
  CONTENT_TYPE_JSON,
  errorResponse,
  internalError,
  jsonResponse,
  sigV4ErrorToAws,
  type WireProtocol,
  type WireResponse,
} from './api-errors.ts';
import { apiCallEvent, claimedAccessKeyId, kmsResources, mqResources, type ApiCallRecord } from './audit-api-events.ts';
import { UNKNOWN_OPERATION, type ControlPlaneMetrics } from './metrics.ts';
import { resolveMqOperation } from './mq/routes.ts';
import { redactMqRequestParameters } from './mq/redaction.ts';

/** An AWS JSON 1.1 API: one operation name and a parsed JSON input. Throws AwsApiError. */
export interface JsonRpcApi {
  handle(caller: CallerIdentity, operation: string, input: unknown): Promise<Record<string, unknown>>;
}

/** A REST-JSON API (Amazon MQ): method, raw path, query and parsed body. Throws AwsApiError. */
export interface RestJsonApi {
  handle(
    caller: CallerIdentity,
    request: { method: string; rawPath: string; query: URLSearchParams; body: unknown },
  ): Promise<{ status: number; body: unknown }>;
}

/** The JSON 1.1 APIs served on POST /, by X-Amz-Target prefix, with their SigV4 signing names. */
export interface JsonRpcService {
  readonly targetPrefix: string;
  readonly signingName: string;
  readonly api: JsonRpcApi;
  /** The audit eventSource; default `<signingName>.amazonaws.com` (kms.amazonaws.com). */
  readonly eventSource?: string;
  /** The resources (ARNs) a call names, for its audit event. */
  readonly auditResources?: (input: unknown, output: unknown) => AuditResource[] | undefined;
}

export interface ApiServerLimits {
  bodyMaxBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsMax: number;
}

export interface ApiServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  certificate: Pick<ServerCertificate, 'certPem' | 'keyPem'>;
  tlsPolicy?: TlsPolicy;
  limits: ApiServerLimits;
  verifier: SigV4Verifier<ResolvedAccessKey>;
  jsonServices: readonly JsonRpcService[];
  /** The Amazon MQ API under /v1/; until it is wired, /v1/ answers NotFoundException. */
  mq?: RestJsonApi;
  /** Where every API call is recorded; region and account fill the events' awsRegion and ARNs. */
  audit?: { readonly sink: AuditSink; readonly region: string; readonly accountId: string };
  /** GET /metrics, served to requests bearing `token`; API requests are counted into it. */
  metrics?: { readonly registry: ControlPlaneMetrics; readonly token: string };
  /** Extra fields for GET /health. */
  health?: () => Record<string, unknown>;
  logger: Logger;
}

const LIMIT_SETTING = 'limits.apiBodyMaxBytes';

class BodyTooLargeError extends Error {}

/** The running endpoint. */
export class ApiServer {
  readonly #server: Server;
  readonly #options: ApiServerOptions;
  readonly #policy: TlsPolicy;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, options: ApiServerOptions, policy: TlsPolicy) {
    this.#server = server;
    this.#options = options;
    this.#policy = policy;
  }

  /** Starts listening; rejects (e.g. EADDRINUSE) if the port cannot be bound. */
  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const policy = options.tlsPolicy ?? TLS_POLICIES.controlPlane;
    const server = createServer({
      key: options.certificate.keyPem,
      cert: options.certificate.certPem,
      ...tlsServerOptions(policy),
      headersTimeout: options.limits.headersTimeoutMs,
      requestTimeout: options.limits.requestTimeoutMs,
      keepAliveTimeout: options.limits.keepAliveTimeoutMs,
      // Bounded header size as well as body size.
      maxHeaderSize: 16 * 1024,
    });
    const apiServer = new ApiServer(server, options, policy);
    server.maxConnections = options.limits.connectionsMax;
    server.timeout = Math.max(options.limits.requestTimeoutMs, options.limits.keepAliveTimeoutMs) + 5_000;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void apiServer.#handle(req, res);
    });
    server.on('secureConnection', (socket: Socket) => {
      apiServer.#sockets.add(socket);
      socket.on('close', () => apiServer.#sockets.delete(socket));
      socket.on('error', (error) => options.logger.debug({ err: error.message }, 'API socket error'));
    });
    server.on('tlsClientError', (error: Error & { code?: string }, socket: Socket) => {
      options.logger.debug({ err: error.message, code: error.code, remote: socket.remoteAddress }, 'TLS handshake failed');
      socket.destroy();
    });
    server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
      options.logger.debug({ err: error.message, code: error.code }, 'malformed HTTP request');
      if (socket.writable && error.code !== 'ECONNRESET') {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        server.on('error', (error) => options.logger.error({ err: error.message }, 'API server error'));
        resolve();
      });
    });
    return apiServer;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `https://host:port`, with 127.0.0.1 for a wildcard bind and IPv6 in brackets. */
  get url(): string {
    const host = this.#options.host === '0.0.0.0' || this.#options.host === '' ? '127.0.0.1' : this.#options.host === '::' ? '::1' : this.#options.host;
    return `https://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** Serves a new certificate to new connections (existing ones keep theirs). */
  setCertificate(certificate: Pick<ServerCertificate, 'certPem' | 'keyPem'>): void {
    this.#server.setSecureContext({ key: certificate.keyPem, cert: certificate.certPem, ...tlsServerOptions(this.#policy) });
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes what is left. */
  async close(graceMs = 5_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const log = this.#options.logger.child({ requestId });
    let protocol: WireProtocol = 'awsJson1_1';
    let response: WireResponse;
    // Set once the request is an API call (not /health or /metrics): what it is recorded as.
    let call: ApiCallRecord | undefined;
    req.on('error', (error) => log.debug({ err: error.message }, 'request stream error'));
    try {
      if (rawPath === '/health' && (method === 'GET' || method === 'HEAD')) {
        response = jsonResponse(200, { status: 'ok', ...this.#options.health?.() }, CONTENT_TYPE_JSON);
      } else if (rawPath === '/metrics' && method === 'GET' && this.#options.metrics !== undefined) {
        response = await this.#serveMetrics(req);
      } else if (rawPath === '/') {
        const target = headerOf(req, 'x-amz-target') ?? '';
        const service = this.#options.jsonServices.find((s) => target.startsWith(`${s.targetPrefix}.`));
        call = { eventSource: service === undefined ? 'sealmq.api' : (service.eventSource ?? `${service.signingName}.amazonaws.com`), eventName: target.slice(target.indexOf('.') + 1) || 'UnknownOperation', operationKnown: false };
        response = await this.#handleJsonRpc(req, method, url, call);
      } else if (rawPath === '/v1' || rawPath.startsWith('/v1/')) {
        protocol = 'restJson1';
        const operation = resolveMqOperation(method, rawPath);
        call = { eventSource: 'mq.amazonaws.com', eventName: operation ?? 'UnknownOperation', operationKnown: operation !== undefined };
        response = await this.#handleRest(req, method, url, rawPath, q === -1 ? '' : url.slice(q + 1), call);
      } else {
        protocol = 'restJson1';
        throw new AwsApiError('NotFoundException', `No API at ${method} ${rawPath.slice(0, 200)}. This endpoint serves POST / (AWS KMS), /v1/ (Amazon MQ) and GET /health.`, 404);
      }
    } catch (error) {
      response = this.#errorToResponse(error, protocol, log);
    }
    const extra: Record<string, string> = {};
    if (response.status === 413) {
      // The rest of an oversized body is discarded (never buffered) and the connection closed.
      extra.connection = 'close';
      req.resume();
    }
    this.#write(res, requestId, response, extra, method === 'HEAD');
    if (call !== undefined) this.#recordCall(req, call, requestId, response, q === -1 ? '' : url.slice(q + 1), Date.now() - started);
    log.info(
      { method, path: rawPath.slice(0, 200), target: headerOf(req, 'x-amz-target')?.slice(0, 100), status: response.status, errorType: response.headers['x-amzn-errortype'], ms: Date.now() - started },
      'API request',
    );
  }

  async #handleJsonRpc(req: IncomingMessage, method: string, rawUrl: string, call: ApiCallRecord): Promise<WireResponse> {
    if (method !== 'POST') {
      throw new AwsApiError('UnknownOperationException', `The AWS JSON APIs on / take POST requests, not ${method.slice(0, 16)}.`, 405);
    }
    const target = headerOf(req, 'x-amz-target');
    if (target === undefined || target === '') {
      throw new AwsApiError('UnknownOperationException', 'Missing X-Amz-Target header: expected e.g. TrentService.ListKeys.');
    }
    const dot = target.indexOf('.');
    const prefix = dot === -1 ? target : target.slice(0, dot);
    const operation = dot === -1 ? '' : target.slice(dot + 1);
    const service = this.#options.jsonServices.find((s) => s.targetPrefix === prefix);
    if (service === undefined || operation === '') {
      throw new AwsApiError('UnknownOperationException', `Unknown X-Amz-Target ${target.slice(0, 128)}.`);
    }
    const body = await readBody(req, this.#options.limits.bodyMaxBytes);
    const caller = await this.#authenticate(req, rawUrl, body, service.signingName, 'awsJson1_1');
    call.caller = caller;
    // A signed call names its operation; one the API does not serve fails UnknownOperationException (see #recordCall).
    call.operationKnown = true;
    let input: unknown = {};
    if (body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new AwsApiError('SerializationException', `The request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
      }
    }
    const parameters = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : null;
    call.requestParameters = parameters;
    call.resources = service.auditResources?.(input, undefined);
    const output = await service.api.handle(caller, operation, input);
    call.responseElements = output;
    call.resources = service.auditResources?.(input, output) ?? call.resources;
    return jsonResponse(200, output, CONTENT_TYPE_AWS_JSON);
  }

  async #handleRest(req: IncomingMessage, method: string, rawUrl: string, rawPath: string, rawQuery: string, call: ApiCallRecord): Promise<WireResponse> {
    const audit = this.#options.audit;
    if (audit !== undefined) call.resources = mqResources(audit.region, audit.accountId, rawPath, undefined);
    const body = await readBody(req, this.#options.limits.bodyMaxBytes);
    const caller = await this.#authenticate(req, rawUrl, body, 'mq', 'restJson1');
    call.caller = caller;
    const mq = this.#options.mq;
    if (mq === undefined) {
      throw new AwsApiError('NotFoundException', `The Amazon MQ API is not served yet: no route for ${method} ${rawPath.slice(0, 200)}.`, 404);
    }
    let input: unknown;
    if (body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new AwsApiError('BadRequestException', `The request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`, 400, 'body');
      }
    }
    const query = new URLSearchParams(rawQuery);
    // Passwords are hidden here as Amazon MQ's CloudTrail records hide them; the sink redacts again.
    call.requestParameters = redactMqRequestParameters({ ...Object.fromEntries(query), ...(typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) }) as Record<string, unknown>;
    const result = await mq.handle(caller, { method, rawPath, query, body: input });
    if (typeof result.body === 'object' && result.body !== null && !Array.isArray(result.body)) {
      call.responseElements = redactMqRequestParameters(result.body) as Record<string, unknown>;
      if (audit !== undefined) call.resources = mqResources(audit.region, audit.accountId, rawPath, result.body) ?? call.resources;
    }
    if (result.status === 204 || result.body === undefined) return { status: result.status, headers: {}, body: Buffer.alloc(0) };
    return jsonResponse(result.status, result.body, CONTENT_TYPE_JSON);
  }

  async #authenticate(req: IncomingMessage, rawUrl: string, body: Buffer, service: string, protocol: WireProtocol): Promise<CallerIdentity> {
    try {
      const verified = await this.#options.verifier.verify({ method: req.method ?? 'GET', rawUrl, headers: req.headersDistinct, body }, service);
      return verified.accessKey.caller;
    } catch (error) {
      if (error instanceof SigV4Error) throw sigV4ErrorToAws(error, protocol);
      throw error;
    }
  }

  /**
   * GET /metrics. Prometheus cannot sign SigV4, so the scrape is authorized by a bearer token that
   * the composition root keeps in a 0600 file (Prometheus: `authorization: { credentials_file }`).
   * A token rather than "loopback only": the endpoint may be bound to a wildcard address and a
   * loopback peer can be any local user; the metrics hold no content, but they are still not public.
   */
  async #serveMetrics(req: IncomingMessage): Promise<WireResponse> {
    const metrics = this.#options.metrics!;
    const presented = /^Bearer\s+(\S+)$/i.exec(headerOf(req, 'authorization') ?? '')?.[1];
    const expected = Buffer.from(metrics.token, 'utf8');
    const given = Buffer.from(presented ?? '', 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      const body = Buffer.from('GET /metrics needs Authorization: Bearer <token from DATA/metrics-token>\n', 'utf8');
      return { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="sealmq-metrics"' }, body };
    }
    const { contentType, text } = await metrics.registry.render();
    return { status: 200, headers: { 'content-type': contentType }, body: Buffer.from(text, 'utf8') };
  }

  /** The one place an API call is recorded: an audit event and a metrics count, allowed or refused. */
  #recordCall(req: IncomingMessage, call: ApiCallRecord, requestId: string, response: WireResponse, rawQuery: string, durationMs: number): void {
    const errorCode = response.headers['x-amzn-errortype'];
    const audit = this.#options.audit;
    if (audit !== undefined) {
      if (call.caller === undefined) call.claimedAccessKeyId = claimedAccessKeyId(headerOf(req, 'authorization'), rawQuery);
      audit.sink.record(
        apiCallEvent(call, {
          requestId,
          sourceIPAddress: req.socket.remoteAddress,
          userAgent: headerOf(req, 'user-agent'),
          errorCode,
          errorMessage: errorCode === undefined ? undefined : errorMessageOf(response.body),
          region: audit.region,
          accountId: audit.accountId,
        }),
      );
    }
    const service = call.eventSource.split('.')[0] ?? 'unknown';
    this.#options.metrics?.registry.observeApiRequest(service, call.operationKnown && call.caller !== undefined && errorCode !== 'UnknownOperationException' ? call.eventName : UNKNOWN_OPERATION, errorCode, durationMs);
  }

  #errorToResponse(error: unknown, protocol: WireProtocol, log: Logger): WireResponse {
    if (error instanceof BodyTooLargeError) {
      const limit = this.#options.limits.bodyMaxBytes;
      const message = `The request body is too large: the limit is ${limit} bytes (setting ${LIMIT_SETTING}).`;
      return errorResponse(new AwsApiError(protocol === 'awsJson1_1' ? 'RequestEntityTooLargeException' : 'BadRequestException', message, 413, protocol === 'restJson1' ? 'body' : undefined), protocol);
    }
    if (error instanceof AwsApiError) return errorResponse(error, protocol);
    log.error({ err: error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : String(error) }, 'API handler failed');
    return errorResponse(internalError(protocol), protocol);
  }

  #write(res: ServerResponse, requestId: string, response: WireResponse, extra: Record<string, string>, headOnly: boolean): void {
    if (res.headersSent || res.destroyed) return;
    res.statusCode = response.status;
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('Date', new Date().toUTCString());
    for (const [name, value] of Object.entries({ ...response.headers, ...extra })) res.setHeader(name, value);
    if (response.headers['x-amzn-errortype'] !== undefined) res.setHeader('x-amzn-ErrorType', response.headers['x-amzn-errortype']);
    res.setHeader('Content-Length', response.body.length);
    res.end(headOnly ? undefined : response.body);
  }
}

/** The message of an AWS error body (`message` or `Message`), as the client was told it. */
function errorMessageOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Reads the whole body, refusing (without buffering further) once it passes `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(error);
    const onAborted = () => finish(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
