// The custom search attributes of a release, under the short names the server tooling uses.
// Single source of truth: src/shared/search-attributes.ts (pure: imports only @temporalio/common,
// so workflow code may import either file).
export {
  ReleaseVersionAttribute as ReleaseVersion,
  ReleaseStageAttribute as ReleaseStage,
  ReleaseKindAttribute as ReleaseKind,
  CommitShaAttribute as CommitSha,
  RequestedByAttribute as RequestedBy,
  ReleaseEnvironmentAttribute as ReleaseEnvironment,
  releaseSearchAttributes,
} from '../shared/search-attributes';
