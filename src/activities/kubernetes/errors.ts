// Kubernetes API failures turned into errors a release can act on: a missing Deployment, missing
// permissions and rejected changes fail the activity for good (retrying cannot help) and say what to
// fix; an unreachable or overloaded API server is retried by Temporal.
import { ApplicationFailure } from '@temporalio/common';

export type KubeVerb = 'get' | 'patch' | 'create' | 'update' | 'delete';

export interface KubeCall {
  verb: KubeVerb;
  /** The object's name. */
  name: string;
  namespace: string;
  /** What is called: deployments.apps unless said (services, httproutes.gateway.networking.k8s.io). */
  resource?: { plural: string; kind: string; notFoundType: string };
  /** The verbs the caller needs, for a Forbidden message; the deployment target's unless said. */
  rbac?: string;
}

const DEPLOYMENTS = { plural: 'deployments.apps', kind: 'deployment', notFoundType: 'DeploymentNotFound' };

export interface KubeIdentity {
  /** API server URL, e.g. https://10.0.0.1:443 */
  server: string;
  /** How the worker authenticates: "kubeconfig context admin (user admin)" or "the pod's service account". */
  credentials: string;
}

/** The verbs on apps/v1 deployments the target needs, for error messages and the README. */
export const REQUIRED_RBAC = 'get, patch (stable rollouts) and create, update, delete (canaries) on deployments.apps';

interface ApiExceptionLike {
  code: number;
  body: unknown;
}

function isApiException(err: unknown): err is Error & ApiExceptionLike {
  if (!(err instanceof Error)) return false;
  const code = (err as Partial<ApiExceptionLike>).code;
  return typeof code === 'number' && code >= 100 && code < 600 && 'body' in err;
}

/** The API server's Status message, when the body is one (it arrives as JSON text). */
export function statusMessage(body: unknown): string | null {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === '' ? null : body.trim().slice(0, 500);
    }
  }
  if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string')
    return parsed.message;
  return null;
}

/** Who the API server says we are: a service account (ns/name) or a user, from a Forbidden message. */
export function subjectFromMessage(message: string | null): string | null {
  const user = message ? /User "([^"]+)"/.exec(message)?.[1] : undefined;
  if (!user) return null;
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(user);
  return sa ? `service account ${sa[1]}/${sa[2]}` : `user "${user}"`;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function networkReason(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return err.message;
  // node-fetch wraps socket and TLS failures in FetchError (type "system"); AbortError is our request timeout.
  if (err.name === 'FetchError' || err.name === 'AbortError' || err.name === 'TimeoutError') return err.message;
  return null;
}

/** The error to throw for a failed call; anything unrecognised is returned unchanged (and retried). Messages are one line. */
export function explainKubeError(err: unknown, call: KubeCall, who: KubeIdentity): Error {
  const resource = call.resource ?? DEPLOYMENTS;
  const what = `${call.verb} ${resource.kind} ${call.name} in namespace ${call.namespace}`;
  const fail = (retry: boolean, message: string, type: string) =>
    retry
      ? ApplicationFailure.retryable(oneLine(message), type)
      : ApplicationFailure.nonRetryable(oneLine(message), type);
  if (isApiException(err)) {
    const message = statusMessage(err.body);
    const server = message ? `: ${message}` : '';
    switch (err.code) {
      case 404:
        return fail(
          false,
          `${resource.kind} ${call.name} not found in namespace ${call.namespace}`,
          resource.notFoundType,
        );
      case 403: {
        const subject = subjectFromMessage(message) ?? who.credentials;
        return fail(
          false,
          `forbidden: ${subject} may not ${call.verb} ${resource.plural} in namespace ${call.namespace} (${who.credentials} at ${who.server})${server}. ` +
            `Bind it to a Role in ${call.namespace} allowing ${call.rbac ?? REQUIRED_RBAC}.`,
          'Forbidden',
        );
      }
      case 401:
        return fail(
          false,
          `the Kubernetes API server at ${who.server} rejected the credentials of ${who.credentials} (401 Unauthorized) on ${what}: the token or certificate is missing, expired or revoked`,
          'Unauthorized',
        );
      case 400:
      case 422:
        return fail(false, `the Kubernetes API server refused to ${what}${server}`, 'KubernetesRejected');
      case 409:
        return fail(true, `conflict on ${what} (changed concurrently)${server}`, 'KubernetesConflict');
      default:
        return fail(
          true,
          `the Kubernetes API server at ${who.server} answered ${err.code} to ${what}${server}`,
          'KubernetesApiError',
        );
    }
  }
  const network = networkReason(err);
  if (network !== null)
    return fail(
      true,
      `cannot reach the Kubernetes API server at ${who.server} to ${what}: ${network}`,
      'KubernetesUnreachable',
    );
  return err instanceof Error ? err : new Error(String(err));
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
