// The custom search attributes a release keeps current, so the Web UI and `list` can filter releases
// by version, stage, kind, commit and requester. Registered when the dev server starts.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ReleaseVersionAttribute = defineSearchAttributeKey('ReleaseVersion', SearchAttributeType.KEYWORD);
export const ReleaseStageAttribute = defineSearchAttributeKey('ReleaseStage', SearchAttributeType.KEYWORD);
export const ReleaseKindAttribute = defineSearchAttributeKey('ReleaseKind', SearchAttributeType.KEYWORD);
export const CommitShaAttribute = defineSearchAttributeKey('CommitSha', SearchAttributeType.KEYWORD);
export const RequestedByAttribute = defineSearchAttributeKey('RequestedBy', SearchAttributeType.KEYWORD);
export const ReleaseEnvironmentAttribute = defineSearchAttributeKey('ReleaseEnvironment', SearchAttributeType.KEYWORD);

export const releaseSearchAttributes = [
  ReleaseVersionAttribute,
  ReleaseStageAttribute,
  ReleaseKindAttribute,
  CommitShaAttribute,
  RequestedByAttribute,
  ReleaseEnvironmentAttribute,
];
