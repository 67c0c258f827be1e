// The static catalogue behind DescribeBrokerEngineTypes and DescribeBrokerInstanceOptions, and the
// source of truth for which engine versions, instance types, storage types and deployment modes a
// CreateBroker may ask for. Values follow Amazon MQ's current offering; SealMQ runs every instance
// type the same way (the type is a label), so the table only keeps the combinations Amazon MQ allows.
import type { DeploymentMode, EngineType, StorageType } from './ports.ts';

/** Engine versions, newest first; the first is the default. */
export const ENGINE_VERSIONS: Readonly<Record<EngineType, readonly string[]>> = {
  ACTIVEMQ: ['5.18', '5.17.6', '5.16.7'],
  RABBITMQ: ['3.13', '3.12.13', '3.11.28'],
};

/** Versions from which Amazon MQ requires `autoMinorVersionUpgrade: true` (major.minor releases). */
export const AUTO_MINOR_UPGRADE_REQUIRED: Readonly<Record<EngineType, readonly string[]>> = {
  ACTIVEMQ: ['5.18'],
  RABBITMQ: ['3.13'],
};

export interface InstanceOption {
  readonly engineType: EngineType;
  readonly hostInstanceType: string;
  readonly storageType: StorageType;
  readonly supportedDeploymentModes: readonly DeploymentMode[];
  readonly supportedEngineVersions: readonly string[];
}

const ACTIVEMQ_LARGE = ['mq.m5.large', 'mq.m5.xlarge', 'mq.m5.2xlarge', 'mq.m5.4xlarge'];
const RABBITMQ_LARGE = ['mq.m5.large', 'mq.m5.xlarge', 'mq.m5.2xlarge', 'mq.m5.4xlarge', 'mq.m7g.large', 'mq.m7g.xlarge'];

function buildInstanceOptions(): InstanceOption[] {
  const options: InstanceOption[] = [];
  const activeVersions = ENGINE_VERSIONS.ACTIVEMQ;
  const rabbitVersions = ENGINE_VERSIONS.RABBITMQ;
  options.push({ engineType: 'ACTIVEMQ', hostInstanceType: 'mq.t3.micro', storageType: 'EFS', supportedDeploymentModes: ['SINGLE_INSTANCE'], supportedEngineVersions: activeVersions });
  for (const type of ACTIVEMQ_LARGE) {
    for (const storageType of ['EBS', 'EFS'] as const) {
      const modes: DeploymentMode[] = storageType === 'EFS' ? ['SINGLE_INSTANCE', 'ACTIVE_STANDBY_MULTI_AZ'] : ['SINGLE_INSTANCE'];
      options.push({ engineType: 'ACTIVEMQ', hostInstanceType: type, storageType, supportedDeploymentModes: modes, supportedEngineVersions: activeVersions });
    }
  }
  options.push({ engineType: 'RABBITMQ', hostInstanceType: 'mq.t3.micro', storageType: 'EBS', supportedDeploymentModes: ['SINGLE_INSTANCE'], supportedEngineVersions: rabbitVersions });
  for (const type of RABBITMQ_LARGE) {
    options.push({ engineType: 'RABBITMQ', hostInstanceType: type, storageType: 'EBS', supportedDeploymentModes: ['SINGLE_INSTANCE', 'CLUSTER_MULTI_AZ'], supportedEngineVersions: rabbitVersions });
  }
  return options;
}

export const INSTANCE_OPTIONS: readonly InstanceOption[] = buildInstanceOptions();

/** Availability zones reported for every instance option: the region's a, b and c. */
export function availabilityZones(region: string): { name: string }[] {
  return ['a', 'b', 'c'].map((suffix) => ({ name: `${region}${suffix}` }));
}

/** Default storage: EFS for ActiveMQ (durable, needed for active/standby), EBS for RabbitMQ (the only one). */
export function defaultStorageType(engineType: EngineType): StorageType {
  return engineType === 'ACTIVEMQ' ? 'EFS' : 'EBS';
}

/** Default configuration data (plain text; the API stores it base64) for a new configuration. */
export function defaultConfigurationData(engineType: EngineType): string {
  if (engineType === 'ACTIVEMQ') {
    return [
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
      '<broker xmlns="http://activemq.apache.org/schema/core">',
      '  <plugins>',
      '  </plugins>',
      '</broker>',
      '',
    ].join('\n');
  }
  return ['# Default RabbitMQ delivery acknowledgement timeout is 30 minutes in milliseconds', 'consumer_timeout = 1800000', ''].join('\n');
}
