// The calling site of a statement: the first stack frame outside the runtime, generated/ and node_modules.
// The N+1 scope asks for it on every statement, so frames are read as V8 CallSite objects: no stack string is
// formatted and no source map is consulted (under tsx, formatting `error.stack` maps every frame, which cost
// more than the query it described). Positions are those of the code as loaded.
import { fileURLToPath } from 'node:url';
import { dirname, sep } from 'node:path';

const runtimeDirectory = dirname(fileURLToPath(import.meta.url));
const projectDirectory = dirname(dirname(runtimeDirectory));
// Generated query modules are one frame per query for every caller: the site is whoever called them.
const generatedDirectory = `${projectDirectory}${sep}generated${sep}`;

function isForeign(file: string): boolean {
  return (
    file.startsWith(runtimeDirectory + sep) ||
    file.startsWith(generatedDirectory) ||
    file.includes(`${sep}node_modules${sep}`) ||
    file.startsWith('node:') ||
    !file.includes(sep)
  );
}

function structuredFrames(): NodeJS.CallSite[] {
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = 40;
    Error.prepareStackTrace = (_error, frames) => frames;
    Error.captureStackTrace(holder, structuredFrames);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}

/** `listAlerts (src/server/routers/alerts.ts:12:7)`-style text for the first frame outside the runtime, or undefined. */
export function callSite(): string | undefined {
  for (const frame of structuredFrames()) {
    const raw = frame.getFileName() ?? frame.getScriptNameOrSourceURL() ?? '';
    const file = raw.startsWith('file://') ? fileURLToPath(raw) : raw;
    if (file === '' || isForeign(file)) continue;
    const where = `${file.replace(projectDirectory + sep, '')}:${frame.getLineNumber() ?? 0}:${frame.getColumnNumber() ?? 0}`;
    const name = frame.getFunctionName() ?? frame.getMethodName();
    return name ? `${name} (${where})` : where;
  }
  return undefined;
}
