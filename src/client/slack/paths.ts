// Where the Slack gateway answers, in a module of its own: the `slack-gateway` command's help names
// them without loading the gateway (and its HTTP client).
export const INTERACTIONS_PATH = '/slack/interactions';
export const COMMANDS_PATH = '/slack/commands';
