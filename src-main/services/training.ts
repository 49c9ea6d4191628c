import { mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ApiError, type Handlers, type Run, type TrainConfigInput } from '../contract';
import { type TrainEvent, divergenceMessage } from '../engine/api/light';
import type { RunRow } from '../storage';
import { detached, errorMessage, paths, requireDataset, requireRun, type ServiceContext } from './context';
import { epochView, runView } from './run-view';
import { StepHistory } from './step-history';
import { prepareTrainingData } from './training-data';

type TrainingHandlers = Pick<Handlers, 'training.start' | 'training.stop' | 'training.resume' | 'runs.list' | 'runs.get' | 'runs.remove'>;

/**
 * The engine's config minus where the data and the run live (those are the app's business), with
 * `init` as the person chose it ('pretrained', a run id) rather than the folder the engine read.
 */
function visibleConfig(config: Record<string, unknown>, requested: TrainConfigInput): Record<string, unknown> {
  const { dataset: _dataset, outDir: _outDir, init: _folder, ...rest } = config;
  return requested.init === undefined ? rest : { ...rest, init: requested.init };
}

/** A run waiting for the one in training; `prepared` once its data snapshot is written. */
interface Waiting {
  runId: number;
  resume: boolean;
  prepared: boolean;
}

/**
 * Training runs: one at a time, in the ML host, so two runs never share the cores. A Train or
 * Resume while a run trains joins a line (status 'queued' with its `queuePosition`) and starts when
 * the runs before it end; Stop takes a waiting run out of the line. Every engine event updates the
 * database first and then goes to the clients, so a client that reconnects reads the same state
 * it was sent.
 */
export class TrainingService {
  /** The run that owns the ML host (preparing its data or training), at most one. */
  private readonly active = new Map<number, AbortController>();
  private readonly line: Waiting[] = [];
  private readonly steps = new StepHistory();

  constructor(private readonly context: ServiceContext) {}

  /** Runs a previous session left running or waiting can no longer finish: say so instead of showing them as running. */
  failInterrupted(): void {
    for (const run of this.context.storage.runs.unfinished()) {
      const error =
        run.status === 'queued' && run.epochsCompleted === 0 && !run.backend
          ? 'The app stopped while this run waited to start; resume it to start it'
          : 'The app stopped while this run was training; resume it to continue';
      this.context.storage.runs.update(run.id, { status: 'failed', error, endedAt: run.endedAt ?? new Date().toISOString() });
    }
  }

  /** The contract's view of a run, with its place in line. */
  private view(row: RunRow): Run {
    const index = this.line.findIndex((w) => w.runId === row.id);
    return runView(row, index === -1 ? null : index + 1);
  }

  get activeRunIds(): number[] {
    return [...this.active.keys()];
  }

  handlers(): TrainingHandlers {
    const { storage } = this.context;
    return {
      'training.start': ({ datasetId, config, name }) => this.start(datasetId, config, name),
      'training.stop': ({ runId }) => this.stop(runId),
      'training.resume': ({ runId }) => this.resume(runId),
      'runs.list': () => storage.runs.list().map((row) => this.view(row)),
      'runs.get': ({ id }) => {
        const steps = this.steps.get(id);
        return { ...this.view(requireRun(this.context, id)), epochMetrics: storage.runs.epochs(id).map(epochView), ...(steps ? { stepMetrics: steps } : {}) };
      },
      'runs.remove': async ({ id }) => {
        await this.removeRuns([requireRun(this.context, id)]);
        return {};
      },
    };
  }

  /** Deletes runs with their folders (checkpoints, training data); refuses while one of them trains. A waiting run leaves the line. */
  async removeRuns(runs: readonly RunRow[]): Promise<void> {
    const busy = runs.find((run) => this.active.has(run.id));
    if (busy) throw new ApiError('conflict', `Run ${busy.id} is training; stop it before removing it`);
    const runsRoot = paths.runs(this.context.dataDir);
    for (const run of runs) {
      this.leaveLine(run.id);
      this.steps.forget(run.id);
      this.context.storage.runs.remove(run.id);
      // Only folders the app made itself, never a path that merely ended up in the database.
      if (run.runDir && relative(runsRoot, run.runDir) === String(run.id)) await rm(run.runDir, { recursive: true, force: true });
    }
  }

  /** Whether a new run must wait: one trains or prepares, or others wait already. */
  private get busy(): boolean {
    return this.active.size > 0 || this.line.length > 0;
  }

  private async start(datasetId: number, config: TrainConfigInput, name?: string): Promise<Run> {
    const { storage, dataDir } = this.context;
    const dataset = requireDataset(this.context, datasetId);
    this.initFolder(config.init);
    const created = storage.runs.create({
      datasetId,
      name: name ?? `${dataset.name} #${storage.runs.list().filter((r) => r.datasetId === datasetId).length + 1}`,
      config,
      epochs: config.epochs ?? 0,
      runDir: '',
    });
    // Owns the ML host from here on (a second start while the data is prepared waits), or takes its place in line.
    const waiting: Waiting | null = this.busy ? { runId: created.id, resume: false, prepared: false } : null;
    if (waiting) this.line.push(waiting);
    else this.active.set(created.id, new AbortController());
    const runDir = join(paths.runs(dataDir), String(created.id));
    const placed = storage.runs.update(created.id, { runDir });
    if (waiting) this.publishLine();
    try {
      await mkdir(runDir, { recursive: true });
      storage.runs.update(created.id, { dataDir: await prepareTrainingData(storage, dataset, runDir) });
    } catch (error) {
      this.active.delete(created.id);
      await this.removeRuns([placed]);
      this.advance();
      throw error;
    }
    if (!waiting) return this.launch(created.id, false);
    waiting.prepared = true;
    this.advance();
    return this.view(requireRun(this.context, created.id));
  }

  /** Stops the run in training at its next step, or takes a waiting run out of the line (it ends 'stopped', resumable). */
  private stop(runId: number): Run {
    const run = requireRun(this.context, runId);
    if (this.leaveLine(runId)) {
      const cancelled = this.context.storage.runs.update(runId, { status: 'stopped', endedAt: new Date().toISOString() });
      this.publish(cancelled);
      this.publishLine();
      return this.view(cancelled);
    }
    const controller = this.active.get(runId);
    if (!controller) return this.view(run);
    const stopping = this.context.storage.runs.update(runId, { status: 'stopping' });
    this.publish(stopping);
    controller.abort();
    return this.view(stopping);
  }

  private resume(runId: number): Run {
    const run = requireRun(this.context, runId);
    if (this.active.has(runId) || this.line.some((w) => w.runId === runId)) return this.view(run);
    if (run.status === 'completed') throw new ApiError('conflict', `Run ${runId} already completed all its epochs`);
    if (run.status === 'diverged')
      throw new ApiError(
        'conflict',
        `Run ${runId} diverged; resuming would diverge again: start a new run (${run.divergence?.remedy ?? 'lower the learning rate'})`,
      );
    if (!run.dataDir) throw new ApiError('conflict', `Run ${runId} has no prepared data to resume from`);
    if (!this.busy) return this.launch(runId, true);
    this.line.push({ runId, resume: true, prepared: true });
    const queued = this.context.storage.runs.update(runId, { status: 'queued', error: null, endedAt: null });
    this.publishLine();
    return this.view(queued);
  }

  /** Removes a run from the line; true when it was waiting there. */
  private leaveLine(runId: number): boolean {
    const index = this.line.findIndex((w) => w.runId === runId);
    if (index === -1) return false;
    this.line.splice(index, 1);
    return true;
  }

  /** Starts the first waiting run once the ML host is free and its data is ready. */
  private advance(): void {
    if (this.active.size > 0) return;
    const next = this.line[0];
    if (!next?.prepared) return;
    this.line.shift();
    this.launch(next.runId, next.resume);
    this.publishLine();
  }

  /** Every waiting run with its (new) place in line. */
  private publishLine(): void {
    for (const waiting of this.line) {
      const row = this.context.storage.runs.get(waiting.runId);
      if (!row) continue;
      this.publish(row.status === 'queued' ? row : this.context.storage.runs.update(row.id, { status: 'queued', error: null, endedAt: null }));
    }
  }

  /** A run id to start from becomes that run's folder; 'scratch' and 'pretrained' the engine resolves itself. */
  private initFolder(init: TrainConfigInput['init']): string | undefined {
    if (typeof init !== 'number') return init;
    const source = this.context.storage.runs.get(init);
    if (!source?.checkpointDir)
      throw new ApiError('user-error', `Run ${init} has no checkpoint to start from: train it first, or start from the pretrained model`);
    return source.runDir;
  }

  /** Marks the run queued (until the engine's start event) and starts it in the ML host without waiting for it to finish. */
  private launch(runId: number, resume: boolean): Run {
    const { storage, host } = this.context;
    const run = storage.runs.update(runId, { status: 'queued', error: null, endedAt: null });
    this.publish(run);
    const controller = this.active.get(runId) ?? new AbortController();
    this.active.set(runId, controller);
    const { init, ...requested } = run.config as TrainConfigInput;
    const config = { ...requested, init: this.initFolder(init), dataset: run.dataDir as string, outDir: run.runDir };
    this.context.backend.learnInBackground();
    detached(this.context, `Run ${runId}`, async () => {
      let patch: Partial<RunRow>;
      try {
        const done = await host.call('train', { config, resume }, { signal: controller.signal, onEvent: (event) => this.onEvent(runId, event, resume) });
        patch = {
          status: done.status,
          epochsCompleted: done.epochsCompleted,
          bestValAccuracy: done.epochsCompleted > 0 ? done.bestValAccuracy : null,
          checkpointDir: done.checkpoint ?? undefined,
          durationSec: done.elapsedSec,
          // A diverged run says why and what to change, in the list and its details.
          ...(done.divergence ? { divergence: done.divergence, error: divergenceMessage(done.divergence) } : {}),
        };
      } catch (error) {
        patch =
          controller.signal.aborted && error instanceof ApiError && error.code === 'aborted'
            ? { status: 'stopped' }
            : { status: 'failed', error: errorMessage(error) };
      }
      // Idle before the status goes out, so a client may resume or start again at once; then the next in line starts.
      this.active.delete(runId);
      this.finish(runId, patch);
      this.advance();
    });
    return this.view(run);
  }

  /** @param resume whether the run was resumed: its start event then names no known classes (the weights come from its checkpoint) */
  private onEvent(runId: number, event: TrainEvent, resume: boolean): void {
    const { storage, events } = this.context;
    switch (event.type) {
      case 'start': {
        const current = storage.runs.get(runId);
        const run = storage.runs.update(runId, {
          status: current?.status === 'stopping' ? 'stopping' : 'running',
          // Beside the requested config, which stays as asked (a resume asks again with it).
          resolvedConfig: visibleConfig(event.config as unknown as Record<string, unknown>, (current?.config ?? {}) as TrainConfigInput),
          backend: event.backend,
          classes: event.classes,
          epochs: event.config.epochs,
          // A resumed run keeps what its first start recorded; a resume without a checkpoint starts afresh and names them again.
          ...(resume && event.knownClasses.length === 0 ? {} : { knownClasses: event.knownClasses }),
        });
        this.publish(run);
        break;
      }
      case 'batch': {
        const { type: _type, ...batch } = event;
        this.steps.add(runId, batch);
        events.emit('training.batch', { runId, ...batch });
        break;
      }
      case 'epoch': {
        const { type: _type, ...metrics } = event;
        const previous = storage.runs.get(runId)?.bestValAccuracy ?? null;
        const run = storage.runs.addEpoch(runId, metrics, {
          epochsCompleted: metrics.epoch,
          bestValAccuracy: previous === null ? metrics.valAccuracy : Math.max(previous, metrics.valAccuracy),
          durationSec: metrics.elapsedSec,
        });
        events.emit('training.epoch', { runId, ...metrics });
        this.publish(run);
        break;
      }
      case 'checkpoint':
        storage.runs.update(runId, { checkpointDir: event.path });
        break;
      case 'done':
        // Handled when the call resolves, with the same data.
        break;
    }
  }

  private finish(runId: number, patch: Partial<RunRow>): void {
    const { storage } = this.context;
    if (!storage.runs.get(runId)) return;
    this.publish(storage.runs.update(runId, { ...patch, endedAt: new Date().toISOString() }));
  }

  private publish(run: RunRow): void {
    this.context.events.emit('training.status', { runId: run.id, run: this.view(run) });
  }
}
