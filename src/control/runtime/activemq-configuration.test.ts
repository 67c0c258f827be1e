import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfigurationData } from '../mq/engine-catalog.ts';
import { ActiveMqConfigurationError, parseActiveMqConfiguration, parseActiveMqConfigurationData } from './activemq-configuration.ts';

const AMAZON_MQ_EXAMPLE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<broker xmlns="http://activemq.apache.org/schema/core">
  <plugins>
    <authorizationPlugin>
      <map>
        <authorizationMap>
          <authorizationEntries>
            <authorizationEntry admin="admins,activemq-webconsole" queue=">" read="admins,users,activemq-webconsole" write="admins,activemq-webconsole"/>
            <authorizationEntry admin="admins" read="admins, users" topic="prices.>" write='admins'/>
            <!-- <authorizationEntry queue="commented.out" read="*" write="*" admin="*"/> -->
            <authorizationEntry queue="a&amp;b.*" read="*"></authorizationEntry>
          </authorizationEntries>
          <tempDestinationAuthorizationEntry>
            <tempDestinationAuthorizationEntry admin="tempDestinationAdmins" read="tempDestinationAdmins" write="tempDestinationAdmins"/>
          </tempDestinationAuthorizationEntry>
        </authorizationMap>
      </map>
    </authorizationPlugin>
  </plugins>
</broker>
`;

describe('parseActiveMqConfiguration', () => {
  it("reads Amazon MQ's authorizationEntry elements (queue or topic pattern, read/write/admin groups)", () => {
    const { authorizationEntries } = parseActiveMqConfiguration(AMAZON_MQ_EXAMPLE);
    assert.deepEqual(authorizationEntries, [
      { kind: 'queue', pattern: '>', read: ['admins', 'users', 'activemq-webconsole'], write: ['admins', 'activemq-webconsole'], admin: ['admins', 'activemq-webconsole'] },
      { kind: 'topic', pattern: 'prices.>', read: ['admins', 'users'], write: ['admins'], admin: ['admins'] },
      { kind: 'queue', pattern: 'a&b.*', read: ['*'], write: [], admin: [] },
    ]);
  });

  it('the default configuration and empty data have no entries: every user may use every destination', () => {
    assert.deepEqual(parseActiveMqConfiguration(defaultConfigurationData('ACTIVEMQ')).authorizationEntries, []);
    assert.deepEqual(parseActiveMqConfigurationData('').authorizationEntries, []);
    const base64 = Buffer.from('<broker><plugins><authorizationPlugin><map><authorizationMap><authorizationEntries><authorizationEntry topic="t" read="g" write="g" admin="g"/></authorizationEntries></authorizationMap></map></authorizationPlugin></plugins></broker>').toString('base64');
    assert.equal(parseActiveMqConfigurationData(base64).authorizationEntries.length, 1);
  });

  it('refuses entries it cannot understand, so the broker does not start with other permissions than configured', () => {
    const entry = (attributes: string) => `<broker><plugins><authorizationPlugin><map><authorizationMap><authorizationEntries><authorizationEntry ${attributes}/></authorizationEntries></authorizationMap></map></authorizationPlugin></plugins></broker>`;
    for (const [attributes, why] of [
      ['read="a"', /exactly one of queue or topic/],
      ['queue="q" topic="t" read="a"', /exactly one of queue or topic/],
      ['queue="" read="a"', /pattern is empty/],
      ['queue="/queue/x" read="a"', /slashes/],
      ['queue="q" reed="a"', /unknown attribute reed/],
      ['queue="q" read="a" read="b"', /given twice/],
      ['queue="q" read="&foo;"', /unknown entity/],
      ['queue="q" read=a', /malformed attributes/],
    ] as const) {
      assert.throws(() => parseActiveMqConfiguration(entry(attributes)), (error: unknown) => error instanceof ActiveMqConfigurationError && why.test(error.message), attributes);
    }
    assert.throws(() => parseActiveMqConfiguration('<broker><plugins><authorizationPlugin/></plugins></broker>'), /no authorizationEntry/);
    assert.throws(() => parseActiveMqConfiguration('<!DOCTYPE x [<!ENTITY a "b">]><broker/>'), /DOCTYPE/);
    assert.throws(() => parseActiveMqConfiguration('<broker>' + ' '.repeat(2 * 1024 * 1024) + '</broker>'), /larger than/);
  });
});
