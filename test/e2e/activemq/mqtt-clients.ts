// Test-side MQTT helpers shared by the MQTT end-to-end suites.

import type { IPublishPacket, MqttClient } from 'mqtt';

/** The PUBLISH packets a client receives, in order, awaited one by one. */
export class PacketInbox {
  readonly #items: IPublishPacket[] = [];
  readonly #waiters: Array<(p: IPublishPacket) => void> = [];
  constructor(client: MqttClient) {
    client.on('message', (_topic, _payload, packet) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(packet);
      else this.#items.push(packet);
    });
  }
  next(): Promise<IPublishPacket> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** A PUBLISH packet's payload as UTF-8 text. */
export const packetText = (p: IPublishPacket): string => Buffer.from(p.payload as Buffer).toString('utf8');
