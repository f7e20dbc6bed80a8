// The digest of a release policy: sha256 over its canonical JSON (keys sorted), links left out (the
// Web UI's address and the namespace say where, not what is allowed). Two workers with the same rules
// have the same digest; status, the evidence and the policy's audit trail show it.
import { createHash } from 'node:crypto';
import type { InstalledPolicy, ReleasePolicy } from '../shared/policy';

export function policyDigest(policy: ReleasePolicy): string {
  const { webUiUrl: _webUiUrl, namespace: _namespace, ...rules } = policy;
  return `sha256:${createHash('sha256').update(canonicalJson(rules)).digest('hex')}`;
}

export function installedPolicy(policy: ReleasePolicy): InstalledPolicy {
  return { policy, digest: policyDigest(policy) };
}

/** JSON with object keys in sorted order, so equal policies always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
