// `release-promote slack-gateway`: serves the Slack app's button clicks and `/release` commands
// (src/client/slack/gateway.ts) until SIGTERM or SIGINT, then stops accepting requests and finishes
// the ones already acknowledged. Everything comes from the config's `slack` section: the port and
// interface, the Slack user → identity map, and the name of the environment variable holding the
// app's signing secret (the secret itself never goes in the file, and is never printed).
import type { Command } from 'commander';
import type { Config } from '../../config/schema';
import { startSlackGateway, COMMANDS_PATH, INTERACTIONS_PATH, type RollbackRequest } from '../slack/gateway';
import { startManualRollback } from '../start-rollback';
import { InvalidInputError } from '../start-release';
import type { CliContext } from '../cli-context';

/** The signing secret from the variable `slack.signingSecretEnv` names, or one line on what to do. */
export function signingSecretFromEnv(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const name = config.slack.signingSecretEnv;
  const secret = env[name];
  if (secret === undefined || secret.trim() === '') {
    throw new InvalidInputError(
      `the Slack gateway needs the Slack app's signing secret in $${name} (slack.signingSecretEnv), which is not set: export it (Slack app → Basic Information → Signing Secret)`,
    );
  }
  return secret;
}

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
      const config = ctx.config();
      // Checked before connecting anywhere: without the secret every request would be refused.
      const signingSecret = signingSecretFromEnv(config);
      const users = config.slack.users;
      const { client, namespace } = await ctx.client();
      const gateway = await startSlackGateway({
        client,
        users,
        signingSecret,
        port: config.slack.port,
        host: config.slack.host,
        // Replies go to Slack's hooks host, or to the configured Slack Web API's origin (a proxy).
        slackApiBaseUrl: config.notifications.provider === 'slack' ? config.notifications.apiBaseUrl : undefined,
        startRollback: async (request: RollbackRequest) =>
          (await startManualRollback(client, config, { ...request, channel: 'slack' })).message,
      }).catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new InvalidInputError(
            `the Slack gateway cannot listen on ${config.slack.host}:${config.slack.port} (${String(code)}); choose another slack.port or slack.host`,
          );
        }
        throw err;
      });

      ctx.out(
        `Slack gateway listening on ${gateway.url} (interactions ${INTERACTIONS_PATH}, commands ${COMMANDS_PATH}); Temporal namespace ${namespace}`,
      );
      const mapped = Object.keys(users).length;
      if (mapped === 0)
        ctx.out('warning: slack.users maps nobody, so every Slack user is told they cannot act on releases');
      else ctx.out(`${mapped} Slack user${mapped === 1 ? '' : 's'} mapped to release-promote identities`);

      const signal = await untilStopSignal();
      ctx.out(`${signal}: stopping the Slack gateway (finishing the requests already acknowledged)`);
      await gateway.stop();
      ctx.out('Slack gateway stopped');
    });
}

/** Resolves on the first SIGTERM or SIGINT; a second one gets Node's default (exit at once). */
function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
