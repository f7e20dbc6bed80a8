// Container image references: the release version is the image tag (registry/repo:<version>).
// A reference is [registry[:port]/]path[:tag][@digest]; the tag is after the last ':' that follows
// the last '/', so a registry port is never mistaken for a tag.

/** What Docker accepts as a tag: up to 128 word characters, dots and dashes, not starting with . or -. */
const TAG = /^[\w][\w.-]{0,127}$/;

export interface ImageRef {
  /** Everything before the tag and digest, e.g. registry.example:5000/team/api-gateway */
  repository: string;
  tag: string | null;
  digest: string | null;
}

export function parseImage(image: string): ImageRef {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? null : image.slice(at + 1);
  const colon = withoutDigest.lastIndexOf(':');
  const slash = withoutDigest.lastIndexOf('/');
  if (colon > slash) return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  return { repository: withoutDigest, tag: null, digest };
}

/** The version an image runs: its tag, or null when it has none (latest, or pinned by digest only). */
export function imageVersion(image: string | undefined): string | null {
  return image ? parseImage(image).tag : null;
}

/**
 * The same image at `version`: only the tag changes. A digest is dropped, since it would pin the old
 * image whatever the tag says.
 */
export function withVersion(image: string, version: string): string {
  return `${parseImage(image).repository}:${version}`;
}

export function isValidTag(version: string): boolean {
  return TAG.test(version);
}
