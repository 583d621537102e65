// The calling site of a slow or failed statement: the first stack frame outside the runtime and node_modules.
// Captured only when a line is worth logging; V8's async stack traces name the awaiting callers.
import { fileURLToPath } from 'node:url';
import { dirname, sep } from 'node:path';

const runtimeDirectory = dirname(fileURLToPath(import.meta.url));
const projectDirectory = dirname(dirname(runtimeDirectory));
// Generated query modules are one frame per query for every caller: the site is whoever called them.
const generatedDirectory = `${projectDirectory}${sep}generated${sep}`;

function isForeign(frame: string): boolean {
  return (
    frame.includes(runtimeDirectory + sep) ||
    frame.includes(generatedDirectory) ||
    frame.includes(`${sep}node_modules${sep}`) ||
    frame.includes('node:internal') ||
    frame.includes('(native)') ||
    !frame.includes('/')
  );
}

/** `at listAlerts (src/api/alerts.ts:12:7)`-style text for the first frame outside the runtime, or undefined. */
export function callSite(stack: string | undefined = captureStack()): string | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const frame = line.trim();
    if (!frame.startsWith('at ') || isForeign(frame)) continue;
    return frame
      .slice(3)
      .replaceAll('file://', '')
      .replaceAll(projectDirectory + sep, '')
      .replace(/^async /, '');
  }
  return undefined;
}

function captureStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  try {
    return new Error('call site').stack;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
