// Modules loaded when the command that needs them runs, not when the CLI starts: `status` must not
// pay for the worker SDK, the YAML and schema libraries, node-postgres or the Slack gateway. The
// commands (src/client/commands/) declare their options with light imports only; each action
// requires its module (src/client/actions/) when it runs. test/client/command-loads.test.ts holds
// the line.

/**
 * `lazy<typeof X>(require, './x')`, next to `import type * as X from './x'` (which gives the type,
 * and lets the layer lint check the path). The caller passes its own `require`, so the path is
 * relative to the caller. `require`, not `import()`: the build is CommonJS, and a source checkout's
 * bin registers tsx for CommonJS only.
 */
export function lazy<T>(load: NodeJS.Require, path: string): T {
  return load(path) as T;
}
