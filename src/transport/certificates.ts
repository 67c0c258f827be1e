// Server certificates for every TLS listener: on first start a private CA and a server certificate
// under DATA/tls, reused on later starts and reissued when near expiry or when they no longer cover
// the names asked for; or a certificate and key the user supplies. Also the watcher that picks up a
// changed certificate file without a restart. Which TLS policy a listener uses is tls-policy.ts's.
//
// DATA/tls/
//   ca.pem      the private CA certificate: the file clients trust (0644)
//   ca.key      the CA's private key, PKCS#8 PEM (0600); needed only to reissue server.pem
//   server.pem  the server certificate, then the CA certificate (0644)
//   server.key  the server's private key, PKCS#8 PEM (0600)
//
// Keys: the CA is ECDSA P-256 (quick to make, signs with SHA-256); the server key is RSA-2048,
// because the RabbitMQ and ActiveMQ suites are all ECDHE-RSA/DHE-RSA/RSA and need an RSA certificate.
import { X509Certificate, createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { watchFile, unwatchFile } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
// @peculiar/x509 (through tsyringe) needs the reflect-metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../util/atomic-file.ts';
import type { Logger } from '../util/logger.ts';

x509.cryptoProvider.set(webcrypto as never);

const DAY_MS = 24 * 3600 * 1000;
const CA_VALIDITY_DAYS = 3650;
const SERVER_VALIDITY_DAYS = 397;
const RSA_SERVER = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const EC_CA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The certificate a listener serves. */
export interface ServerCertificate {
  /** Leaf certificate first, then any chain. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Files they were read from (watched for changes). */
  readonly certFile: string;
  readonly keyFile: string;
  /** The private CA's certificate file when SealMQ made the certificate; what clients trust. */
  readonly caFile?: string;
  readonly caPem?: string;
  readonly notAfter: Date;
  /** True when SealMQ generated it (else the user supplied it). */
  readonly generated: boolean;
}

export const CertificateErrorCode = {
  TLS_DIR_INCONSISTENT: 'TLS_DIR_INCONSISTENT',
  CERTIFICATE_INVALID: 'CERTIFICATE_INVALID',
  CERTIFICATE_UNREADABLE: 'CERTIFICATE_UNREADABLE',
} as const;
export type CertificateErrorCode = (typeof CertificateErrorCode)[keyof typeof CertificateErrorCode];

/** The certificate or key cannot be used; the start must stop. */
export class CertificateError extends Error {
  constructor(
    readonly code: CertificateErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateError';
  }
}

export interface EnsureCertificatesOptions {
  /** DATA/tls. */
  dir: string;
  /** DNS names the server certificate must cover; default localhost (and this machine's name if given). */
  dnsNames?: readonly string[];
  /** IP addresses the server certificate must cover; default 127.0.0.1 and ::1. */
  ipAddresses?: readonly string[];
  /** Reissue the server certificate when it expires within this many days. */
  renewBeforeDays?: number;
  now?: () => Date;
  logger?: Logger;
}

export function tlsFiles(dir: string) {
  return {
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
  };
}

/** The names a server certificate for `host` should cover: localhost, loopback, and the host itself. */
export function namesForHost(host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = ['localhost'];
  const ipAddresses = ['127.0.0.1', '::1'];
  const isWildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (!isWildcard) {
    if (isIP(host) !== 0) {
      if (!ipAddresses.includes(host)) ipAddresses.push(host);
    } else if (!dnsNames.includes(host.toLowerCase())) dnsNames.push(host.toLowerCase());
  }
  return { dnsNames, ipAddresses };
}

/**
 * Returns the generated server certificate under `dir`, creating the CA and the certificate on first
 * use and reissuing the certificate when it is near expiry, does not cover the names asked for, or
 * was not issued by the CA in ca.pem. Never replaces an existing CA.
 */
export async function ensureCertificates(options: EnsureCertificatesOptions): Promise<ServerCertificate> {
  const now = options.now ?? (() => new Date());
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ipAddresses = options.ipAddresses ?? ['127.0.0.1', '::1'];
  const renewBeforeDays = options.renewBeforeDays ?? 30;
  const files = tlsFiles(options.dir);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });

  const hasCa = await exists(files.caFile);
  const hasCaKey = await exists(files.caKeyFile);
  if (hasCa !== hasCaKey) {
    const missing = hasCa ? files.caKeyFile : files.caFile;
    throw new CertificateError(
      'TLS_DIR_INCONSISTENT',
      `${missing} is missing while its pair exists; restore it, or delete ${options.dir} to make a new CA (clients must then trust the new ca.pem)`,
    );
  }
  let ca: CaMaterial;
  if (!hasCa) {
    ca = await createCa(files, now());
    options.logger?.info({ caFile: files.caFile }, 'created a private certificate authority');
  } else {
    ca = await loadCa(files);
  }

  const existing = await readServerCertificate(files);
  const why = existing === undefined ? 'absent' : reissueReason(existing.cert, ca.cert, dnsNames, ipAddresses, now(), renewBeforeDays);
  if (why !== undefined) {
    await issueServerCertificate(files, ca, dnsNames, ipAddresses, now());
    options.logger?.info({ certFile: files.certFile, reason: why }, 'issued a server certificate');
  }
  const certPem = await readFile(files.certFile, 'utf8');
  const keyPem = await readFile(files.keyFile, 'utf8');
  return {
    certPem,
    keyPem,
    certFile: files.certFile,
    keyFile: files.keyFile,
    caFile: files.caFile,
    caPem: ca.certPem,
    notAfter: new Date(new X509Certificate(certPem).validTo),
    generated: true,
  };
}

/**
 * Loads a certificate and key the user supplied, checking that the key matches, that the certificate
 * is current, and that it is RSA ≥ 2048 or EC (TLS security level 2).
 */
export async function loadUserCertificate(certFile: string, keyFile: string, now: Date = new Date()): Promise<ServerCertificate> {
  const certPem = await readText(certFile, 'certificate');
  const keyPem = await readText(keyFile, 'private key');
  const { cert } = checkCertificatePair(certPem, keyPem, certFile, keyFile);
  if (new Date(cert.validTo).getTime() <= now.getTime()) {
    throw new CertificateError('CERTIFICATE_INVALID', `certificate ${certFile} expired on ${new Date(cert.validTo).toISOString()}`);
  }
  return { certPem, keyPem, certFile, keyFile, notAfter: new Date(cert.validTo), generated: false };
}

/** Checks a PEM certificate and key belong together and are strong enough; throws CertificateError. */
export function checkCertificatePair(certPem: string, keyPem: string, certFile: string, keyFile: string): { cert: X509Certificate; key: KeyObject } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new CertificateError('CERTIFICATE_INVALID', `${certFile} holds no PEM certificate`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateError('CERTIFICATE_INVALID', `${keyFile} holds no unencrypted PEM private key`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new CertificateError('CERTIFICATE_INVALID', `the private key in ${keyFile} does not match the certificate in ${certFile}`);
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) < 2048) {
    throw new CertificateError('CERTIFICATE_INVALID', `the RSA key in ${keyFile} has ${details?.modulusLength} bits; at least 2048 are required`);
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new CertificateError('CERTIFICATE_INVALID', `the key in ${keyFile} is ${key.asymmetricKeyType}; an RSA (≥ 2048 bits) or EC key is required`);
  }
  try {
    createSecureContext({ cert: certPem, key: keyPem, ciphers: 'DEFAULT:@SECLEVEL=2' });
  } catch (error) {
    throw new CertificateError('CERTIFICATE_INVALID', `${certFile} / ${keyFile} cannot be used for TLS: ${(error as Error).message}`);
  }
  return { cert, key };
}

export interface CertificateWatcher {
  close(): void;
}

/**
 * Watches a certificate's files and calls `onChange` with the new certificate once both files are
 * readable and match again (a half-replaced pair is skipped until the other half arrives). Polls,
 * so that a file replaced by rename (how editors and certbot write) is seen too.
 */
export function watchCertificate(
  current: ServerCertificate,
  onChange: (certificate: ServerCertificate) => void,
  options: { intervalMs?: number; logger?: Logger } = {},
): CertificateWatcher {
  const intervalMs = options.intervalMs ?? 2000;
  let lastCertPem = current.certPem;
  let lastKeyPem = current.keyPem;
  let running = false;
  const check = () => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const certPem = await readFile(current.certFile, 'utf8');
        const keyPem = await readFile(current.keyFile, 'utf8');
        if (certPem === lastCertPem && keyPem === lastKeyPem) return;
        const { cert } = checkCertificatePair(certPem, keyPem, current.certFile, current.keyFile);
        lastCertPem = certPem;
        lastKeyPem = keyPem;
        onChange({ ...current, certPem, keyPem, notAfter: new Date(cert.validTo) });
        options.logger?.info({ certFile: current.certFile, notAfter: cert.validTo }, 'reloaded the server certificate');
      } catch (error) {
        options.logger?.warn({ certFile: current.certFile, err: (error as Error).message }, 'changed certificate not usable yet; keeping the current one');
      } finally {
        running = false;
      }
    })();
  };
  watchFile(current.certFile, { interval: intervalMs, persistent: false }, check);
  watchFile(current.keyFile, { interval: intervalMs, persistent: false }, check);
  return {
    close() {
      unwatchFile(current.certFile, check);
      unwatchFile(current.keyFile, check);
    },
  };
}

function reissueReason(
  cert: X509Certificate,
  caCert: X509Certificate,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
  now: Date,
  renewBeforeDays: number,
): string | undefined {
  if (new Date(cert.validTo).getTime() - now.getTime() < renewBeforeDays * DAY_MS) return 'near expiry';
  if (!cert.verify(caCert.publicKey)) return 'not issued by ca.pem';
  const san = cert.subjectAltName ?? '';
  const present = new Set(san.split(',').map((entry) => entry.trim().toLowerCase()));
  for (const name of dnsNames) if (!present.has(`dns:${name.toLowerCase()}`)) return `does not cover ${name}`;
  for (const ip of ipAddresses) {
    const canonical = ip.includes(':') ? expandIpv6(ip) : ip;
    if (![...present].some((entry) => entry.startsWith('ip address:') && normaliseIp(entry.slice('ip address:'.length)) === canonical)) {
      return `does not cover ${ip}`;
    }
  }
  return undefined;
}

function normaliseIp(ip: string): string {
  return ip.includes(':') ? expandIpv6(ip) : ip;
}

function expandIpv6(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const fill = ip.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  return [...headParts, ...Array<string>(fill).fill('0'), ...tailParts].map((p) => parseInt(p, 16).toString(16)).join(':');
}

async function createCa(files: ReturnType<typeof tlsFiles>, now: Date): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey(EC_CA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=SealMQ private CA ${now.toISOString().slice(0, 10)}, O=SealMQ`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGN,
    keys: keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = certificate.toString('pem') + '\n';
  const keyPem = await exportPkcs8(keys.privateKey);
  // The key first: a ca.pem without its key would block every later reissue.
  await writeFileAtomic(files.caKeyFile, keyPem, 0o600);
  await writeFileAtomic(files.caFile, certPem, 0o644);
  return { certPem, cert: new X509Certificate(certPem), subjectName: certificate.subjectName, signingKey: keys.privateKey, publicKey: keys.publicKey };
}

interface CaMaterial {
  certPem: string;
  cert: X509Certificate;
  subjectName: x509.Name;
  signingKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
}

async function loadCa(files: ReturnType<typeof tlsFiles>): Promise<CaMaterial> {
  const certPem = await readText(files.caFile, 'CA certificate');
  const keyPem = await readText(files.caKeyFile, 'CA private key');
  const { cert } = checkCertificatePair(certPem, keyPem, files.caFile, files.caKeyFile);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const algorithm = cert.publicKey.asymmetricKeyType === 'ec' ? EC_CA : RSA_SERVER;
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', cert.publicKey.export({ type: 'spki', format: 'der' }), algorithm, true, ['verify']);
  return { certPem, cert, subjectName: new x509.X509Certificate(certPem).subjectName, signingKey, publicKey };
}

async function readServerCertificate(files: ReturnType<typeof tlsFiles>) {
  if (!(await exists(files.certFile)) || !(await exists(files.keyFile))) return undefined;
  try {
    const certPem = await readFile(files.certFile, 'utf8');
    const keyPem = await readFile(files.keyFile, 'utf8');
    return checkCertificatePair(certPem, keyPem, files.certFile, files.keyFile);
  } catch {
    return undefined; // Damaged or mismatched: SealMQ made it, so it makes a new one.
  }
}

async function issueServerCertificate(
  files: ReturnType<typeof tlsFiles>,
  ca: CaMaterial,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
  now: Date,
): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey(RSA_SERVER, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caAlgorithm = ca.cert.publicKey.asymmetricKeyType === 'ec' ? EC_SIGN : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${dnsNames[0] ?? 'localhost'}, O=SealMQ`,
    issuer: ca.subjectName,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: caAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  const certPem = certificate.toString('pem') + '\n' + ca.certPem;
  const keyPem = await exportPkcs8(keys.privateKey);
  await writeFileAtomic(files.keyFile, keyPem, 0o600);
  await writeFileAtomic(files.certFile, certPem, 0o644);
}

async function exportPkcs8(privateKey: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CertificateError('CERTIFICATE_UNREADABLE', `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
