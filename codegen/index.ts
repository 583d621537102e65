// sqlbound/codegen: the generator as a library. The CLI (`sqlbound codegen`, `sqlbound audit`) is built on these.
export { loadConfig, parseConfig, resolvePath, ConfigError, CONFIG_FILE, type Config, type ConfigInput } from './config.js';
export {
  loadManifest,
  parseManifest,
  MANIFEST_VERSION,
  type Manifest,
  type QueryModel,
  type ParamModel,
  type ColumnModel,
  type IncludeModel,
  type TypeModel,
  type TsType,
  type OrderTerm,
  type QueryKind,
  type StatementsModel,
  type PlanProof,
  type Isolation,
} from './manifest/manifest.js';
export { formatError, type CodegenError, type CodegenNote } from './diagnostics.js';
export { describeQueryFile, type QueryFileDescription } from './describe-file.js';
export { tsTypeOf } from './stages/emit.js';
