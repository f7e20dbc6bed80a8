// The `/release` slash command's language: what a person may type, and what each line means.
//   /release status v1.2.3
//   /release approve v1.2.3 [note]
//   /release reject v1.2.3 <reason>
//   /release resume v1.2.3 | abort v1.2.3     (a paused canary)
//   /release cancel v1.2.3 [reason]
//   /release rollback production [v1.2.2]
//   /release help
import { environmentProblem, versionProblem } from '../../shared/identifiers';

export type ReleaseCommand =
  | { verb: 'status'; version: string }
  | { verb: 'approve'; version: string; note: string | null }
  | { verb: 'reject'; version: string; reason: string }
  | { verb: 'resume' | 'abort'; version: string }
  | { verb: 'cancel'; version: string; reason: string | null }
  | { verb: 'rollback'; environment: string; version: string | null }
  | { verb: 'help' };

export function usage(command: string): string {
  return [
    `*${command}* usage:`,
    `• \`${command} status v1.2.3\`: where the release is and what it waits for`,
    `• \`${command} approve v1.2.3 [note]\`: approve the canary (or the hotfix)`,
    `• \`${command} reject v1.2.3 <reason>\`: stop the release before the canary`,
    `• \`${command} resume v1.2.3\` or \`${command} abort v1.2.3\`: resume or roll back a paused canary`,
    `• \`${command} cancel v1.2.3 [reason]\`: cancel a release (what reached production is undone first)`,
    `• \`${command} rollback production [v1.2.2]\`: roll an environment back (to its previous version, or the one named)`,
  ].join('\n');
}

/** The command a person typed, or what is wrong with it (followed by the usage). */
export function parseReleaseCommand(text: string): ReleaseCommand | { problem: string } {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const [verb, first, ...rest] = words;
  const restText = rest.join(' ');
  switch (verb?.toLowerCase()) {
    case undefined:
    case 'help':
      return { verb: 'help' };
    case 'status':
    case 'resume':
    case 'abort':
    case 'cancel':
    case 'approve':
    case 'reject': {
      if (first === undefined) return { problem: `${verb} needs a version, like v1.2.3` };
      const problem = versionProblem(first);
      if (problem !== null) return { problem };
      const v = verb.toLowerCase();
      if (v === 'status' || v === 'resume' || v === 'abort')
        return rest.length
          ? { problem: `${v} takes only a version (got "${restText}" too)` }
          : { verb: v, version: first };
      if (v === 'cancel') return { verb: 'cancel', version: first, reason: restText === '' ? null : restText };
      if (v === 'approve') return { verb: 'approve', version: first, note: restText === '' ? null : restText };
      if (restText === '') return { problem: `a rejection needs a reason: reject ${first} <why>` };
      return { verb: 'reject', version: first, reason: restText };
    }
    case 'rollback': {
      if (first === undefined) return { problem: 'rollback needs an environment, like production' };
      const envProblem = environmentProblem(first);
      if (envProblem !== null) return { problem: envProblem };
      if (rest.length > 1)
        return { problem: `rollback takes an environment and at most one version (got "${restText}")` };
      const version = rest[0] ?? null;
      if (version !== null) {
        const problem = versionProblem(version);
        if (problem !== null) return { problem };
      }
      return { verb: 'rollback', environment: first, version };
    }
    default:
      return { problem: `unknown subcommand "${verb}"` };
  }
}
