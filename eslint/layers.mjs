// The layers of src/ and what each may import: the one home of this rule. eslint.config.mjs turns it
// into no-restricted-imports per folder, docs/architecture.md explains it, and
// test/unit/layers-lint.test.ts checks that lint refuses every import it forbids.
//
// An entry is a layer (a folder of src/), a layer by type only ({ layer, typeOnly: true }: the
// import is erased at compile time), or one module of another layer ('worker/main').
export const LAYERS = {
  /** Pure rules and vocabulary: usable by everything, workflow code included. */
  shared: [],
  /** The config file and the installation's policy. */
  config: ['shared'],
  /** Typed access to our workflows through the Temporal client, and the connection settings. */
  'workflow-api': ['shared'],
  /** The records: audit trail, version-record exports, evidence. */
  records: ['shared'],
  /** The one HTTP call every integration makes, and its errors in words. */
  http: ['shared'],
  /** Deterministic workflow code: it calls activities through typed proxies, never their code. */
  workflows: ['shared', { layer: 'activities', typeOnly: true }],
  /** I/O behind small ports, one folder per integration. */
  activities: ['shared', 'config', 'records', 'workflow-api', 'http'],
  /** Assembles the activities and the workflows into a worker. */
  worker: ['shared', 'config', 'records', 'activities', 'workflow-api'],
  /** Locating and starting the Temporal servers (dev-server, demo, tests). */
  servers: ['shared'],
  /** The CLI, the demo and the Slack gateway: a worker only through its one entry. */
  client: ['shared', 'config', 'records', 'workflow-api', 'http', 'servers', 'worker/main'],
};

/** no-restricted-imports patterns for the files of `layer`: every other layer it may not reach. */
export function layerPatterns(layer) {
  const allowed = LAYERS[layer];
  const patterns = [];
  for (const other of Object.keys(LAYERS)) {
    if (other === layer) continue;
    const entry = allowed.find((a) => a === other || (typeof a === 'object' && a.layer === other));
    const modules = allowed
      .filter((a) => typeof a === 'string' && a.startsWith(`${other}/`))
      .map((a) => a.slice(other.length + 1));
    if (entry !== undefined && typeof entry === 'string') continue;
    const may =
      allowed.map((a) => (typeof a === 'string' ? a : `${a.layer} (types only)`)).join(', ') || 'nothing of ours';
    // Relative imports climb out of src/<layer>/… and name the other layer's folder.
    const except = modules.length ? `(?!(${modules.join('|')})$)` : '';
    patterns.push({
      regex: `^(\\.\\./)+${other}(/${except}|$)`,
      message: `src/${layer} may not import src/${other}${modules.length ? ` (except ${modules.map((m) => `${other}/${m}`).join(', ')})` : ''}: src/${layer} may import ${may} (eslint/layers.mjs, docs/architecture.md).`,
      ...(entry !== undefined ? { allowTypeImports: true } : {}),
    });
  }
  return patterns;
}
