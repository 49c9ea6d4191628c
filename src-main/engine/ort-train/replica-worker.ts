/**
 * A training replica (replicas.ts): a worker thread that runs the training graph on its own ONNX
 * Runtime session. The weights are a SharedArrayBuffer the trainer writes between steps; a run
 * of newer weights first copies them into the replica's own buffer (ONNX Runtime refuses inputs
 * in shared memory). The outputs (logits, batch statistics, gradients) go back transferred, not
 * copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxSession, runOnnxNamed, type OnnxSession } from '../onnx/onnx-runtime';
import type { ReplicaGraph, ReplicaReply, ReplicaRequest, SharedParam } from './replica-protocol';

const { threads } = workerData as { threads: number };
const sessions = new Map<ReplicaGraph, OnnxSession>();
let anySizeGraph: Uint8Array | null = null;
let weights: { shared: Float32Array; own: Float32Array; version: number; layout: SharedParam[] } | null = null;

/**
 * The any-size graph runs now and then (the end of an epoch, a batch that does not split evenly):
 * it hands its memory back after each run, so it does not double the peak.
 */
async function session(graph: ReplicaGraph): Promise<OnnxSession> {
  let found = sessions.get(graph);
  if (!found && graph === 'any' && anySizeGraph) {
    found = await createOnnxSession(anySizeGraph, { threads, memoryArena: false });
    sessions.set(graph, found);
  }
  if (!found) throw new Error(`training replica has no ${graph} graph`);
  return found;
}

async function handle(request: ReplicaRequest): Promise<ReplicaReply> {
  switch (request.type) {
    case 'open': {
      // Opening again (a head-only phase ending) replaces the graphs; the weights stay.
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      const fixed = await createOnnxSession(request.graphs.fixed, { threads });
      sessions.set('fixed', fixed);
      anySizeGraph = request.graphs.any;
      return { type: 'opened', provider: fixed.provider };
    }
    case 'params':
      weights = { shared: new Float32Array(request.buffer), own: new Float32Array(request.buffer.byteLength / 4), version: -1, layout: request.layout };
      return { type: 'done' };
    case 'run': {
      if (!weights) throw new Error('training replica has no weights');
      if (weights.version !== request.weightsVersion) {
        weights.own.set(weights.shared);
        weights.version = request.weightsVersion;
      }
      const feeds = { ...request.feeds };
      for (const p of weights.layout) feeds[p.name] = { data: weights.own.subarray(p.offset, p.offset + p.length), dims: p.shape };
      return { type: 'outputs', outputs: await runOnnxNamed(await session(request.graph), feeds) };
    }
    case 'release':
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      return { type: 'done' };
  }
}

const port = parentPort!;
port.on('message', (request: ReplicaRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply, reply.type === 'outputs' ? [...new Set(Object.values(reply.outputs).map((a) => a.buffer as ArrayBuffer))] : []),
    (error: unknown) => port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies ReplicaReply),
  );
});
