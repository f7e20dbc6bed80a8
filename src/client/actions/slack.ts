// `release-promote slack-gateway`: serves the Slack app's requests until SIGTERM or SIGINT. Loaded
// when the command runs (src/client/lazy.ts), with the gateway and its HTTP client.
import type { Config } from '../../config/schema';
import { startSlackGateway, COMMANDS_PATH, INTERACTIONS_PATH, type RollbackRequest } from '../slack/gateway';
import { startManualRollback } from '../start-rollback';
import { InvalidInputError } from '../errors';
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

export async function runSlackGateway(ctx: CliContext): Promise<void> {
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
