import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AwsApiError } from '../util/aws-error.ts';
import { checkNoCredentialUrl, checkNoPersonalData, containsCredentialUrl, findPersonalData, luhnValid, PersonalDataKind } from './guard-rails.ts';

describe('findPersonalData', () => {
  it('finds e-mail addresses', () => {
    for (const text of ['jane.doe@example.com', 'ops+alerts@mail.example.co.uk', 'owner=a_b@example.org']) {
      assert.equal(findPersonalData(text), PersonalDataKind.EmailAddress, text);
    }
  });

  it('finds phone numbers in international and national formats', () => {
    for (const text of ['+44 20 7946 0958', '+14155550123', '+33 6 12 34 56 78', '(415) 555-0123', '415-555-0123', '020 7946 0958', '06 12 34 56 78', '07700900123', 'broker_4155550123', '030 12345678']) {
      assert.equal(findPersonalData(text), PersonalDataKind.PhoneNumber, text);
    }
  });

  it('finds payment card numbers that pass the Luhn check, with spaces or dashes', () => {
    for (const text of ['4111111111111111', '4111 1111 1111 1111', '5500-0000-0000-0004', 'card_378282246310005', '6011000990139424']) {
      assert.equal(findPersonalData(text), PersonalDataKind.PaymentCardNumber, text);
    }
  });

  it('leaves ordinary names, versions, dates and ids alone', () => {
    for (const text of ['orders-prod', 'mq.m5.large', '5.18', '2024-05-01', '2024-05-01-12', 'backup-20240501-1200', 'b-1234abcd-12ab-34cd-56ef-1234567890ab', 'queue-1234567', '4111111111111112', 'v1.2.3', 'team_payments', '1700000000000', '192.168.100.200', '123456789012', 'arn:aws:mq:us-east-1:123456789012:broker:orders:b-1a2b3c4d-1234-4abc-8def-b4266141740a', '2026-01-15T12:00:00.000Z']) {
      assert.equal(findPersonalData(text), undefined, text);
    }
  });

  it('implements Luhn', () => {
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(luhnValid('12a4'), false);
  });
});

describe('properties', () => {
  it('broker ids and UUIDs are never taken for personal data', () => {
    fc.assert(fc.property(fc.uuid(), (uuid) => findPersonalData(`b-${uuid}`) === undefined && findPersonalData(uuid.toUpperCase()) === undefined), { numRuns: 2000 });
  });

  function withLuhnDigit(body: string): string {
    for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
    throw new Error('unreachable');
  }

  it('any Luhn-valid 13-19 digit number, grouped by 4 with spaces or dashes, is found as a card number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 18 }), fc.constantFrom(' ', '-', ''), fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{18}$/), (bodyLength, separator, first, digits) => {
        const number = withLuhnDigit(String(first) + digits.slice(0, bodyLength - 1));
        const grouped = number.match(/.{1,4}/g)!.join(separator);
        return findPersonalData(`pay_${grouped}_x`) === PersonalDataKind.PaymentCardNumber;
      }),
      { numRuns: 500 },
    );
  });
});

describe('containsCredentialUrl', () => {
  it('finds user:password@ in any scheme', () => {
    for (const text of ['ldap://cn=admin:secretpw@ldap.example.com:636', 'ldaps://svc:pw@host', 'amqps://:token@host:5671', 'static:(tcp://u:p@host:61616)']) {
      assert.equal(containsCredentialUrl(text), true, text);
    }
  });
  it('leaves plain URLs alone', () => {
    for (const text of ['ldaps://ldap.example.com:636', 'https://example.com/a@b', 'amqps://host:5671']) assert.equal(containsCredentialUrl(text), false, text);
  });
});

describe('checks', () => {
  it('Precondition: names, usernames and tags carry no personal data (error names the field and the kind, never the value)', () => {
    const value = 'jane.doe@example.com';
    assert.throws(
      () => checkNoPersonalData(value, { errorAttribute: 'brokerName', label: 'Broker name' }),
      (error: unknown) => {
        assert.ok(error instanceof AwsApiError);
        assert.equal(error.errorType, 'BadRequestException');
        assert.equal(error.httpStatus, 400);
        assert.equal(error.errorAttribute, 'brokerName');
        assert.match(error.message, /e-mail address/);
        assert.ok(!error.message.includes(value));
        return true;
      },
    );
    checkNoPersonalData('orders-prod', { errorAttribute: 'brokerName', label: 'Broker name' });
  });

  it('Precondition: no URL in the request carries credentials', () => {
    const value = 'ldap://admin:hunter2hunter2@ldap.example.com';
    assert.throws(
      () => checkNoCredentialUrl(value, { errorAttribute: 'hosts', label: 'LDAP host' }),
      (error: unknown) => error instanceof AwsApiError && error.errorAttribute === 'hosts' && !error.message.includes('hunter2'),
    );
  });
});
