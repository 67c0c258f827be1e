import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  destinationMatches,
  destinationToMqttTopic,
  formatAmqpAddress,
  formatStompDestination,
  mqttFilterToPattern,
  mqttTopicToDestination,
  parseAmqpAddress,
  parseStompDestination,
} from './destinations.ts';

describe('destinations', () => {
  it('parses STOMP destinations', () => {
    assert.deepEqual(parseStompDestination('/queue/a.b'), { kind: 'queue', name: 'a.b' });
    assert.equal(formatStompDestination({ kind: 'topic', name: 'x' }), '/topic/x');
  });
  it('maps MQTT names', () => {
    assert.deepEqual(mqttTopicToDestination('a/b'), { kind: 'topic', name: 'a.b' });
    assert.equal(mqttFilterToPattern('a/+/#'), 'a.*.>');
    assert.equal(destinationToMqttTopic({ kind: 'topic', name: 'a.b' }), 'a/b');
  });
  it('parses AMQP addresses', () => {
    assert.deepEqual(parseAmqpAddress('topic://t'), { kind: 'topic', name: 't' });
    assert.equal(formatAmqpAddress({ kind: 'queue', name: 'q' }), 'queue://q');
  });
  it('matches wildcards', () => {
    assert.equal(destinationMatches('a.*.c', 'a.b.c'), true);
    assert.equal(destinationMatches('a.>', 'a.b.c'), true);
    assert.equal(destinationMatches('a.*', 'a.b.c'), false);
  });
});
