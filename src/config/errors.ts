// The config's error, in a module of its own: the CLI tells it apart from a bug (one line, exit 2)
// without loading the YAML parser and the schema, which only the commands that read the config need.
export class ConfigError extends Error {
  override name = 'ConfigError';
}
