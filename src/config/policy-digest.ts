// The digest of a release policy: sha256 over its canonical JSON (keys sorted), links left out (the
// Web UI's address and the namespace say where, not what is allowed). Two workers with the same rules
// have the same digest; status, the evidence and the policy's audit trail show it.
import { createHash } from 'node:crypto';
import type { InstalledPolicy, ReleasePolicy } from '../shared/policy';
import { canonicalJson } from '../shared/canonical-json';

export function policyDigest(policy: ReleasePolicy): string {
  const { webUiUrl: _webUiUrl, namespace: _namespace, ...rules } = policy;
  return `sha256:${createHash('sha256').update(canonicalJson(rules)).digest('hex')}`;
}

export function installedPolicy(policy: ReleasePolicy): InstalledPolicy {
  return { policy, digest: policyDigest(policy) };
}
