/**
 * Child process of api-entries.test.ts: imports one engine entry in a fresh Node process and prints
 * every package that loaded, as one JSON line `{"packages": [...], "tfjsEngine": bool}`.
 * Usage: node --import tsx loaded-packages.child.ts <entry file> [onnx]   (`onnx`: then call the
 * entry's onnxRuntimeStatus(), which loads ONNX Runtime where it is installed)
 *
 * Both module systems are watched: a module-loader hook reports every ES module (tar, say, loads
 * as one), and require's cache holds the CommonJS ones (tfjs through its `main`, sharp, and ONNX
 * Runtime through onnx-runtime.ts's createRequire). The hook posts each URL on a MessagePort; they
 * are drained synchronously after the import, so none is lost to timing.
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

/** The packages of this probe's own loader (`--import tsx`), not of the entry. */
const LOADER = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

const [entry, then] = process.argv.slice(2);
const { port1, port2 } = new MessageChannel();
const hooks =
  'let port; export function initialize(data) { port = data.port; }\n' +
  'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });

const loaded = (await import(pathToFileURL(entry!).href)) as { onnxRuntimeStatus?: () => unknown };
if (then === 'onnx') loaded.onnxRuntimeStatus!();

const files = Object.keys(createRequire(import.meta.url).cache);
for (let message = receiveMessageOnPort(port1); message; message = receiveMessageOnPort(port1)) files.push(String(message.message));
port1.close();
const packages = new Set(
  files
    .map((file) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(decodeURIComponent(file))?.[1]?.replace('\\', '/'))
    .filter((name) => name !== undefined && !LOADER.has(name)),
);
// tfjs-core keeps its engine in this global: a second sign of tfjs, whatever way it was loaded.
const tfjsEngine = '_tfengine' in globalThis;
console.log(JSON.stringify({ packages: [...packages].sort(), tfjsEngine }));
