// The Amazon MQ REST routes (API 2017-11-27, from the service model's `http` traits): method, path
// template and operation name, and the matcher that turns a raw, percent-encoded path into an
// operation and its decoded labels. Each path segment is decoded on its own, so a tag ARN sent as
// `/v1/tags/arn%3Aaws%3Amq%3A...` arrives whole. Handlers live in mq-api.ts.
import { AwsApiError } from '../../util/aws-error.ts';
import { badRequest } from './wire.ts';

export type MqOperation =
  | 'CreateBroker'
  | 'DescribeBroker'
  | 'ListBrokers'
  | 'UpdateBroker'
  | 'RebootBroker'
  | 'DeleteBroker'
  | 'Promote'
  | 'CreateUser'
  | 'UpdateUser'
  | 'DescribeUser'
  | 'DeleteUser'
  | 'ListUsers'
  | 'CreateConfiguration'
  | 'DescribeConfiguration'
  | 'UpdateConfiguration'
  | 'DeleteConfiguration'
  | 'ListConfigurations'
  | 'DescribeConfigurationRevision'
  | 'ListConfigurationRevisions'
  | 'CreateTags'
  | 'DeleteTags'
  | 'ListTags'
  | 'DescribeBrokerEngineTypes'
  | 'DescribeBrokerInstanceOptions'
  // SealMQ's own (issue 6): rewrite a broker's data under fresh data keys.
  | 'ReencryptBroker';

export interface MqRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly operation: MqOperation;
  /** Success status from the model (204 for the tag writes). */
  readonly status: 200 | 204;
}

/** Every route this API serves. */
export const MQ_ROUTES: readonly MqRoute[] = [
  { method: 'POST', path: '/v1/brokers', operation: 'CreateBroker', status: 200 },
  { method: 'GET', path: '/v1/brokers', operation: 'ListBrokers', status: 200 },
  { method: 'GET', path: '/v1/brokers/{broker-id}', operation: 'DescribeBroker', status: 200 },
  { method: 'PUT', path: '/v1/brokers/{broker-id}', operation: 'UpdateBroker', status: 200 },
  { method: 'DELETE', path: '/v1/brokers/{broker-id}', operation: 'DeleteBroker', status: 200 },
  { method: 'POST', path: '/v1/brokers/{broker-id}/reboot', operation: 'RebootBroker', status: 200 },
  { method: 'POST', path: '/v1/brokers/{broker-id}/promote', operation: 'Promote', status: 200 },
  { method: 'POST', path: '/v1/brokers/{broker-id}/reencrypt', operation: 'ReencryptBroker', status: 200 },
  { method: 'GET', path: '/v1/brokers/{broker-id}/users', operation: 'ListUsers', status: 200 },
  { method: 'POST', path: '/v1/brokers/{broker-id}/users/{username}', operation: 'CreateUser', status: 200 },
  { method: 'PUT', path: '/v1/brokers/{broker-id}/users/{username}', operation: 'UpdateUser', status: 200 },
  { method: 'GET', path: '/v1/brokers/{broker-id}/users/{username}', operation: 'DescribeUser', status: 200 },
  { method: 'DELETE', path: '/v1/brokers/{broker-id}/users/{username}', operation: 'DeleteUser', status: 200 },
  { method: 'POST', path: '/v1/configurations', operation: 'CreateConfiguration', status: 200 },
  { method: 'GET', path: '/v1/configurations', operation: 'ListConfigurations', status: 200 },
  { method: 'GET', path: '/v1/configurations/{configuration-id}', operation: 'DescribeConfiguration', status: 200 },
  { method: 'PUT', path: '/v1/configurations/{configuration-id}', operation: 'UpdateConfiguration', status: 200 },
  { method: 'DELETE', path: '/v1/configurations/{configuration-id}', operation: 'DeleteConfiguration', status: 200 },
  { method: 'GET', path: '/v1/configurations/{configuration-id}/revisions', operation: 'ListConfigurationRevisions', status: 200 },
  {
    method: 'GET',
    path: '/v1/configurations/{configuration-id}/revisions/{configuration-revision}',
    operation: 'DescribeConfigurationRevision',
    status: 200,
  },
  { method: 'POST', path: '/v1/tags/{resource-arn}', operation: 'CreateTags', status: 204 },
  { method: 'DELETE', path: '/v1/tags/{resource-arn}', operation: 'DeleteTags', status: 204 },
  { method: 'GET', path: '/v1/tags/{resource-arn}', operation: 'ListTags', status: 200 },
  { method: 'GET', path: '/v1/broker-engine-types', operation: 'DescribeBrokerEngineTypes', status: 200 },
  { method: 'GET', path: '/v1/broker-instance-options', operation: 'DescribeBrokerInstanceOptions', status: 200 },
];

export interface MatchedRoute {
  readonly route: MqRoute;
  readonly labels: Readonly<Record<string, string>>;
}

function splitPath(rawPath: string): string[] {
  const withoutQuery = rawPath.split('?')[0] ?? '';
  const segments = withoutQuery.split('/');
  // Leading '' from the first '/', and tolerate one trailing '/'.
  if (segments[0] === '') segments.shift();
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/** Finds the route for a method and raw path; NotFoundException if none (405-like cases included). */
export function matchRoute(method: string, rawPath: string): MatchedRoute {
  const segments = splitPath(rawPath);
  let pathMatched = false;
  for (const route of MQ_ROUTES) {
    const template = splitPath(route.path);
    if (template.length !== segments.length) continue;
    const labels: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < template.length; i++) {
      const part = template[i]!;
      const segment = segments[i]!;
      if (part.startsWith('{')) {
        let decoded: string;
        try {
          decoded = decodeURIComponent(segment);
        } catch {
          throw badRequest(`Path parameter [${part.slice(1, -1)}] is not correctly percent-encoded.`, part.slice(1, -1));
        }
        if (decoded === '') {
          ok = false;
          break;
        }
        labels[part.slice(1, -1)] = decoded;
      } else if (part !== segment) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method.toUpperCase()) return { route, labels };
  }
  if (pathMatched) throw new AwsApiError('BadRequestException', `Method ${method.toUpperCase().replace(/[^A-Z]/g, '')} is not allowed on this resource.`, 400);
  throw new AwsApiError('NotFoundException', 'The requested resource was not found.', 404);
}

/** The operation a request is for, or undefined; never throws (for audit events of refused calls). */
export function resolveMqOperation(method: string, rawPath: string): MqOperation | undefined {
  try {
    return matchRoute(method, rawPath).route.operation;
  } catch {
    return undefined;
  }
}
