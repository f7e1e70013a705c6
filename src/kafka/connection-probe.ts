import net from 'node:net';
import tls from 'node:tls';
import type { KafkaConnection } from '../config/runtime.js';

/**
 * A connection mistake named before kafkajs tries: TLS to a plaintext port or the reverse, an
 * untrusted broker certificate, a client certificate missing or refused, SASL required but not
 * set. kafkajs retries such connections for 36-48 s and ends with OpenSSL alert numbers or
 * "Closed connection"; one raw Kafka exchange per bootstrap server tells them apart in
 * milliseconds. Only these deterministic mismatches are reported: a broker that is down or slow
 * (refused, reset before anything, timed out) is left to kafkajs's retries.
 */
export interface ConnectionProblem {
  broker: string;
  /** The option to check (its flag). */
  option: 'tls' | 'tls-ca-file' | 'tls-cert-file' | 'sasl-mechanism' | 'brokers';
  message: string;
}

const UNTRUSTED_SERVER = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);
/**
 * TLS alerts by name. Node names an OpenSSL error after its reason string, and OpenSSL 3.2 renamed
 * the alert reasons ("sslv3 alert bad certificate" became "ssl/tls alert bad certificate"): Node 20
 * says ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE, Node 24 ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE. The alert
 * name after ALERT_ is the same in both.
 */
export const alertOf = (code: string): string | undefined => /^ERR_SSL_.*ALERT_([A-Z_]+)$/.exec(code)?.[1];
/** Alerts a broker sends when it wants a client certificate and got none (Java's sends bad_certificate too). */
const CLIENT_CERT_MISSING = new Set(['CERTIFICATE_REQUIRED', 'HANDSHAKE_FAILURE']);
/** Alerts a broker sends when it does not trust the client certificate. */
const CLIENT_CERT_REFUSED = new Set(['UNKNOWN_CA', 'BAD_CERTIFICATE', 'CERTIFICATE_UNKNOWN', 'DECRYPT_ERROR']);
/** What a TLS client sees when the other end is not a TLS server. */
const NOT_TLS = new Set(['ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']);

/** A TLS record of type alert (21), version 3.x: what a TLS server answers to plaintext bytes. */
const isTlsAlert = (b: Buffer) => b.length >= 2 && b[0] === 0x15 && b[1] === 0x03;

/** Probes every bootstrap server at once; the first mismatch found, or undefined. */
export async function probeConnection(connection: KafkaConnection, timeoutMs = 5_000): Promise<ConnectionProblem | undefined> {
  const problems = await Promise.all(connection.brokers.map((broker) => probeBroker(broker, connection, timeoutMs)));
  return problems.find((p) => p !== undefined);
}

async function probeBroker(broker: string, connection: KafkaConnection, timeoutMs: number): Promise<ConnectionProblem | undefined> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(at + 1));
  const problem = (option: ConnectionProblem['option'], message: string): ConnectionProblem => ({
    broker,
    option,
    message: `${broker}: ${message}`,
  });
  const exchange = new Exchange(connection, host, port, timeoutMs);
  try {
    const opened = await exchange.opened;
    if (opened.kind === 'error') return classifyTlsError(opened.code, problem, connection);
    const versions = await exchange.request(apiVersionsRequest(connection.clientId));
    if (versions.kind === 'error') return classifyTlsError(versions.code, problem, connection);
    if (!connection.ssl && (versions.kind === 'closed' || (versions.kind === 'answer' && isTlsAlert(versions.bytes))))
      return problem(
        'tls',
        'this port speaks TLS (an SSL or SASL_SSL listener): set --tls (KAFKA_TLS) and --tls-ca-file, or point --brokers at a PLAINTEXT listener',
      );
    if (versions.kind === 'closed')
      return problem(
        'tls-cert-file',
        'the broker closed the TLS connection without answering: check that this port is a Kafka SSL or SASL_SSL listener and that it accepts --tls-cert-file',
      );
    if (versions.kind !== 'answer' || connection.sasl) return undefined;
    // ApiVersions is answered before authentication; any other request on a SASL listener is not.
    const metadata = await exchange.request(metadataRequest(connection.clientId));
    if (metadata.kind === 'error') return classifyTlsError(metadata.code, problem, connection);
    if (metadata.kind === 'closed')
      return problem(
        'sasl-mechanism',
        `this listener requires SASL authentication (${connection.ssl ? 'SASL_SSL' : 'SASL_PLAINTEXT'}): set --sasl-mechanism, --sasl-username and --sasl-password (KAFKA_SASL_*)`,
      );
    return undefined;
  } finally {
    exchange.close();
  }
}

function classifyTlsError(
  code: string,
  problem: (option: ConnectionProblem['option'], message: string) => ConnectionProblem,
  connection: KafkaConnection,
): ConnectionProblem | undefined {
  if (UNTRUSTED_SERVER.has(code))
    return problem(
      'tls-ca-file',
      `the broker's certificate is not trusted (${code}): set --tls-ca-file (KAFKA_TLS_CA_FILE) to the PEM of the CA that signed it`,
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return problem(
      'brokers',
      `the broker's certificate does not name this host (${code}): use the host name its certificate holds in --brokers`,
    );
  const alert = alertOf(code) ?? '';
  if ((CLIENT_CERT_MISSING.has(alert) || CLIENT_CERT_REFUSED.has(alert)) && !(connection.ssl && connection.ssl.cert))
    return problem(
      'tls-cert-file',
      `the broker requires a client certificate (mutual TLS; ${code}): set --tls-cert-file and --tls-key-file (KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE)`,
    );
  if (CLIENT_CERT_REFUSED.has(alert) || CLIENT_CERT_MISSING.has(alert))
    return problem(
      'tls-cert-file',
      `the broker refused the client certificate (${code}): --tls-cert-file must be signed by a CA the broker trusts (its ssl.truststore)`,
    );
  if (NOT_TLS.has(code))
    return problem(
      'tls',
      `this port does not speak TLS (the handshake was cut off: ${code}): point --brokers at the broker's SSL or SASL_SSL listener, or turn --tls (KAFKA_TLS) off`,
    );
  return undefined; // refused, unreachable, timed out: kafkajs retries and reports
}

type Outcome = { kind: 'answer'; bytes: Buffer } | { kind: 'closed' } | { kind: 'error'; code: string } | { kind: 'timeout' };

/** One socket, plain or TLS, with request/answer turns (the first bytes of each answer). */
class Exchange {
  readonly opened: Promise<{ kind: 'open' } | { kind: 'error'; code: string } | { kind: 'timeout' }>;
  private readonly socket: net.Socket;
  private received = Buffer.alloc(0);
  private waiter: ((o: Outcome) => void) | undefined;
  private ended: Outcome | undefined;

  constructor(
    connection: KafkaConnection,
    host: string,
    port: number,
    private readonly timeoutMs: number,
  ) {
    const ssl = connection.ssl;
    this.socket = ssl
      ? tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ca: ssl.ca,
          cert: ssl.cert,
          key: ssl.key,
          passphrase: ssl.passphrase,
          rejectUnauthorized: ssl.rejectUnauthorized,
        })
      : net.connect({ host, port });
    this.opened = new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
      this.socket.once(ssl ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve({ kind: 'open' });
      });
      this.socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ kind: 'error', code: err.code ?? 'ERROR' });
      });
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      // Enough for an answer's size, or a TLS alert record header.
      if (this.received.length >= 5) this.settle({ kind: 'answer', bytes: this.received });
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.end({ kind: 'error', code: err.code ?? 'ERROR' }));
    this.socket.on('close', () => this.end(this.received.length > 0 ? { kind: 'answer', bytes: this.received } : { kind: 'closed' }));
  }

  /** Sends a request; resolves with the start of the answer, or how the connection ended. */
  request(bytes: Buffer): Promise<Outcome> {
    this.received = Buffer.alloc(0);
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ kind: 'timeout' }), this.timeoutMs);
      this.waiter = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private end(o: Outcome): void {
    this.ended ??= o;
    this.settle(this.ended);
  }

  private settle(o: Outcome): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(o);
  }
}

/** A request with header v1 (api key, version, correlation id, client id) and a body. */
function request(apiKey: number, clientId: string, body: Buffer): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(0, 2); // version 0: every broker answers it
  header.writeInt32BE(apiKey, 4); // correlation id
  header.writeInt16BE(id.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + id.length + body.length);
  return Buffer.concat([size, header, id, body]);
}

const apiVersionsRequest = (clientId: string) => request(18, clientId, Buffer.alloc(0));
/** Metadata v0 (an empty list reads as every topic): a request a SASL listener answers only after authentication. */
const metadataRequest = (clientId: string) => request(3, clientId, Buffer.from([0, 0, 0, 0]));
