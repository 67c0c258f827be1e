// amqplib over TLS for the end-to-end suites: connect to a broker endpoint with a user's
// credentials, publish with confirms, and consume an exact number of messages with manual acks.
import amqplib from 'amqplib';

/** Where and as whom to connect. */
export interface AmqpLogin {
  /** `amqps://host:port` as DescribeBroker or endpoints.json gives it. */
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
  /** The CA that SealMQ generated (DATA/tls/ca.pem). */
  readonly caPem: string;
}

/** The endpoint with the credentials in it, URL-encoded, as AMQP clients take it. */
export function amqpsUrl(login: AmqpLogin): string {
  const url = new URL(login.endpoint);
  url.username = encodeURIComponent(login.username);
  url.password = encodeURIComponent(login.password);
  return url.toString();
}

export function connectAmqps(login: AmqpLogin) {
  return amqplib.connect(amqpsUrl(login), { ca: [login.caPem] });
}

/** Publishes `bodies` persistently to a durable queue and waits for every confirm. */
export async function publishConfirmed(login: AmqpLogin, queue: string, bodies: readonly string[]): Promise<void> {
  const conn = await connectAmqps(login);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    for (const body of bodies) ch.sendToQueue(queue, Buffer.from(body), { persistent: true });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

/** Consumes exactly `count` messages with manual acks and returns their bodies; fails after `waitMs`. */
export async function consumeAcked(login: AmqpLogin, queue: string, count: number, waitMs = 30_000): Promise<string[]> {
  const conn = await connectAmqps(login);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${count} messages`)), waitMs);
      void ch.consume(queue, (msg) => {
        if (msg === null) return;
        got.push(msg.content.toString());
        ch.ack(msg);
        if (got.length === count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return got;
  } finally {
    await conn.close();
  }
}
