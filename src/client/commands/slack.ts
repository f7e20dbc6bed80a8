// `release-promote slack-gateway`: serves the Slack app's button clicks and `/release` commands
// (src/client/slack/gateway.ts) until SIGTERM or SIGINT, then stops accepting requests and finishes
// the ones already acknowledged. Everything comes from the config's `slack` section: the port and
// interface, the Slack user → identity map, and the name of the environment variable holding the
// app's signing secret (the secret itself never goes in the file, and is never printed). Declared
// here; the action loads the gateway when it runs (src/client/lazy.ts).
import type { Command } from 'commander';
import { COMMANDS_PATH, INTERACTIONS_PATH } from '../slack/paths';
import type { CliContext } from '../cli-context';
import { lazy } from '../lazy';
import type * as Slack from '../actions/slack';

export function registerSlackCommands(program: Command, ctx: CliContext): void {
  program
    .command('slack-gateway')
    .description(
      "serve Slack button clicks and /release commands as release decisions, until SIGTERM or SIGINT (settings: the config's slack section)",
    )
    .addHelpText(
      'after',
      [
        '',
        'Config (slack section): port (default 3000), host (default 0.0.0.0), users (Slack user ID → identity, e.g. U012AB3CD: "@alice"),',
        "signingSecretEnv (the environment variable holding the Slack app's signing secret, default SLACK_SIGNING_SECRET).",
        `Point the Slack app's Interactivity Request URL at <public URL>${INTERACTIONS_PATH} and the /release command at <public URL>${COMMANDS_PATH}.`,
        'GET /healthz answers "ok" (for probes). A second SIGINT/SIGTERM while stopping exits at once.',
      ].join('\n'),
    )
    .action(async () => {
      await lazy<typeof Slack>(require, '../actions/slack').runSlackGateway(ctx);
    });
}
