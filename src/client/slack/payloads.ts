// What Slack sends the gateway, parsed with zod at the edge: interaction payloads (a button click:
// `payload=<json>` form field) and slash commands (plain form fields). Only what the gateway uses is
// required; Slack adds fields over time, so unknown ones are kept and ignored.
import { z } from 'zod';
import { hotfixWorkflowId, releaseWorkflowId, versionProblem } from '../../shared/identifiers';
import type { ButtonValue } from '../../shared/slack-blocks';

const slackUserId = z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user ID, like U012AB3CD');
const httpsOrHttpUrl = z.string().url();

export const blockActionSchema = z.looseObject({
  action_id: z.string().min(1),
  block_id: z.string().optional(),
  value: z.string().optional(),
  type: z.string(),
  /** When the click happened, as Slack's "seconds.micros": the same on a retried delivery. */
  action_ts: z.string().min(1),
});

export const blockActionsPayloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: slackUserId, username: z.string().optional(), name: z.string().optional() }),
  trigger_id: z.string().min(1).optional(),
  /** Absent when the click came from a modal: then there is no message to answer in. */
  response_url: httpsOrHttpUrl.optional(),
  message: z
    .looseObject({
      ts: z.string().optional(),
      text: z.string().optional(),
      blocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
    })
    .optional(),
  actions: z.array(blockActionSchema).min(1),
});
export type BlockActionsPayload = z.infer<typeof blockActionsPayloadSchema>;

/** Any interaction: block_actions is handled, other types (shortcuts, modals) are acknowledged and ignored. */
export const interactionTypeSchema = z.looseObject({ type: z.string() });

export const slashCommandSchema = z.looseObject({
  command: z.string().startsWith('/'),
  text: z.string().default(''),
  user_id: slackUserId,
  user_name: z.string().optional(),
  response_url: httpsOrHttpUrl,
  trigger_id: z.string().min(1),
  channel_id: z.string().optional(),
  team_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

/**
 * A decision button's value: which release the click is about. The workflow ID must be the one the
 * version's release or hotfix runs under, so a crafted value cannot aim an Update at any workflow.
 */
export const buttonValueSchema = z
  .object({ workflowId: z.string().min(1), version: z.string() })
  .superRefine((v, ctx) => {
    const problem = versionProblem(v.version);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['version'], message: problem });
    else if (v.workflowId !== releaseWorkflowId(v.version) && v.workflowId !== hotfixWorkflowId(v.version)) {
      ctx.addIssue({
        code: 'custom',
        path: ['workflowId'],
        message: `"${v.workflowId}" is not a release or hotfix of ${v.version}`,
      });
    }
  }) satisfies z.ZodType<ButtonValue>;

export function parseButtonValue(value: string | undefined): ButtonValue | { problem: string } {
  if (value === undefined) return { problem: 'the button carries no value' };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { problem: 'the button value is not JSON' };
  }
  const parsed = buttonValueSchema.safeParse(json);
  return parsed.success ? parsed.data : { problem: oneLine(z.prettifyError(parsed.error)) };
}

/** Parses an interaction's form body (`payload=<json>`). */
export function parseInteraction(
  form: URLSearchParams,
): { payload: BlockActionsPayload } | { ignored: string } | { problem: string } {
  const raw = form.get('payload');
  if (raw === null) return { problem: 'the body has no payload field' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { problem: 'the payload field is not JSON' };
  }
  const kind = interactionTypeSchema.safeParse(json);
  if (!kind.success) return { problem: 'the payload has no type' };
  if (kind.data.type !== 'block_actions') return { ignored: `interactions of type ${kind.data.type} are not handled` };
  const parsed = blockActionsPayloadSchema.safeParse(json);
  return parsed.success
    ? { payload: parsed.data }
    : { problem: `not a block_actions payload: ${oneLine(z.prettifyError(parsed.error))}` };
}

export function parseSlashCommand(form: URLSearchParams): { command: SlashCommand } | { problem: string } {
  const parsed = slashCommandSchema.safeParse(Object.fromEntries(form));
  return parsed.success
    ? { command: parsed.data }
    : { problem: `not a slash command: ${oneLine(z.prettifyError(parsed.error))}` };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}
