// Named TLS policies as data (protocol versions, cipher suites, key-exchange groups) and the one
// function that turns a policy into Node TLS server options. Which listener uses which policy is
// the composition root's choice; certificates come from certificates.ts.
//
// Facts this relies on (measured, shared/reference/security.md section 3): cipher names must be
// OpenSSL names (an IANA `TLS_*` name is taken as a TLS 1.3 suite); TLS 1.3 suites share Node's
// `ciphers` string; `maxVersion: 'TLSv1.2'` is the only way to match a TLS 1.2-only list exactly;
// without `dhparam` Node silently drops the DHE suites; `@SECLEVEL=2` costs none of the Amazon MQ
// suites. DHE uses a shipped RFC 7919 group (FFDHE2048_PEM) rather than `dhparam: 'auto'`, so the
// group a client gets is a named, reviewed one of 2048 bits whatever the certificate is.
import { constants as cryptoConstants } from 'node:crypto';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsPolicy {
  readonly name: string;
  readonly description: string;
  readonly minVersion: TlsVersion;
  /** 'TLSv1.2' turns TLS 1.3 off, to match a documented TLS 1.2-only list exactly. */
  readonly maxVersion: TlsVersion;
  /** TLS 1.2 suites, OpenSSL names, in preference order. */
  readonly tls12Ciphers: readonly string[];
  /** TLS 1.3 suites (IANA names, which OpenSSL uses for 1.3). */
  readonly tls13Ciphersuites: readonly string[];
  /** Key-exchange groups, in preference order. */
  readonly ecdhCurves: readonly string[];
  /** Finite-field DHE parameters (PEM `DH PARAMETERS`); without them Node offers no DHE suite. */
  readonly dhparam?: string;
  /** OpenSSL security level: 2 refuses RSA keys under 2048 bits and DH groups under 2048 bits. */
  readonly securityLevel: 2;
  /** Key type the server certificate must have for these suites to be usable. */
  readonly serverKeyTypes: readonly ('rsa' | 'ec')[];
}

/**
 * RFC 7919 appendix A.1 `ffdhe2048` (p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1,
 * g = 2), as `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048` prints it. A safe
 * prime of a published group, not one generated here: no weak or backdoored parameters, and 2048
 * bits is the floor SECLEVEL 2 and the issue set for DHE.
 */
export const FFDHE2048_PEM = `-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
`;

const TLS13_AES_GCM = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'] as const;
const STRONG_GROUPS = ['X25519', 'P-256', 'P-384'] as const;

/** The policies SealMQ knows, by name. */
export const TLS_POLICIES = {
  /** The control-plane HTTPS endpoint (KMS and Amazon MQ APIs): forward-secret AEAD only. */
  controlPlane: {
    name: 'controlPlane',
    description: 'TLS 1.2 ECDHE with AES-GCM, and TLS 1.3 AES-GCM',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    tls12Ciphers: ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
    tls13Ciphersuites: TLS13_AES_GCM,
    ecdhCurves: STRONG_GROUPS,
    securityLevel: 2,
    serverKeyTypes: ['rsa', 'ec'],
  },
  /** RabbitMQ engine listeners: Amazon MQ's documented RabbitMQ list, plus TLS 1.3 AES-GCM. */
  rabbitmq: {
    name: 'rabbitmq',
    description: "Amazon MQ's RabbitMQ suites (TLS 1.2), and TLS 1.3 AES-GCM",
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    tls12Ciphers: ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'],
    tls13Ciphersuites: TLS13_AES_GCM,
    ecdhCurves: STRONG_GROUPS,
    securityLevel: 2,
    serverKeyTypes: ['rsa'],
  },
  /** ActiveMQ engine listeners: the 18 suites Amazon MQ documents for ActiveMQ, plus TLS 1.3 AES-GCM. */
  activemq: {
    name: 'activemq',
    description: "Amazon MQ's ActiveMQ suites (TLS 1.2, ECDHE/DHE/RSA with AES-GCM and AES-CBC), and TLS 1.3 AES-GCM",
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    tls12Ciphers: [
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-RSA-AES256-SHA384',
      'ECDHE-RSA-AES256-SHA',
      'DHE-RSA-AES256-GCM-SHA384',
      'DHE-RSA-AES256-SHA256',
      'DHE-RSA-AES256-SHA',
      'AES256-GCM-SHA384',
      'AES256-SHA256',
      'AES256-SHA',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-SHA256',
      'ECDHE-RSA-AES128-SHA',
      'DHE-RSA-AES128-GCM-SHA256',
      'DHE-RSA-AES128-SHA256',
      'DHE-RSA-AES128-SHA',
      'AES128-GCM-SHA256',
      'AES128-SHA256',
      'AES128-SHA',
    ],
    tls13Ciphersuites: TLS13_AES_GCM,
    ecdhCurves: STRONG_GROUPS,
    dhparam: FFDHE2048_PEM,
    securityLevel: 2,
    serverKeyTypes: ['rsa'],
  },
  /** Approved algorithms only (not a validated FIPS module): no X25519, AES-GCM, P-256/P-384. */
  fips: {
    name: 'fips',
    description: 'FIPS-approved algorithms only: TLS 1.2 ECDHE-RSA/ECDSA AES-GCM and TLS 1.3 AES-GCM over P-256/P-384',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    tls12Ciphers: ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
    tls13Ciphersuites: TLS13_AES_GCM,
    ecdhCurves: ['P-256', 'P-384'],
    securityLevel: 2,
    serverKeyTypes: ['rsa', 'ec'],
  },
} as const satisfies Record<string, TlsPolicy>;

export type TlsPolicyName = keyof typeof TLS_POLICIES;

/** The same policy with TLS 1.3 off: exactly the documented TLS 1.2 list (Amazon MQ's posture). */
export function tls12Only(policy: TlsPolicy): TlsPolicy {
  return { ...policy, name: `${policy.name}-tls12`, maxVersion: 'TLSv1.2', tls13Ciphersuites: [] };
}

/** The `ciphers` string Node takes: TLS 1.3 suites first (they start with TLS_), then 1.2, then the level. */
export function cipherString(policy: TlsPolicy): string {
  const tls13 = policy.maxVersion === 'TLSv1.3' ? policy.tls13Ciphersuites : [];
  return [...tls13, ...policy.tls12Ciphers, `@SECLEVEL=${policy.securityLevel}`].join(':');
}

/**
 * Node TLS server options for a policy (certificates not included). Renegotiation is refused
 * (SSL_OP_NO_RENEGOTIATION), compression is off, the server's suite order wins.
 */
export function tlsServerOptions(policy: TlsPolicy): TlsOptions & SecureContextOptions {
  return {
    minVersion: policy.minVersion,
    maxVersion: policy.maxVersion,
    ciphers: cipherString(policy),
    ecdhCurve: policy.ecdhCurves.join(':'),
    honorCipherOrder: true,
    ...(policy.dhparam !== undefined ? { dhparam: policy.dhparam } : {}),
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION | cryptoConstants.SSL_OP_NO_COMPRESSION,
  };
}
