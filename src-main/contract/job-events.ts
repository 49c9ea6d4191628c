import type { EventName, Payload } from './events';
import type { Input, MethodName, Output } from './methods';
import type { ApiClient } from './transport';

/** Events that belong to one job (their payload names it). */
export type JobEventName = { [E in EventName]: Payload<E> extends { jobId: string } ? E : never }[EventName];
/** Methods that start a job and answer with its id. */
export type JobMethodName = { [M in MethodName]: Output<M> extends { jobId: string } ? M : never }[MethodName];
export type JobHandlers = { [E in JobEventName]?: (payload: Payload<E>) => void };
/** Events that belong to one training run (their payload names it by `runId`). */
export type RunEventName = { [E in EventName]: Payload<E> extends { runId: number } ? E : never }[EventName];
export type RunHandlers = { [E in RunEventName]?: (payload: Payload<E>) => void };

export interface FollowedJob<M extends MethodName> {
  /** The start call's answer, after `onStarted` and the held events have run. */
  readonly started: Promise<Output<M>>;
  /** Stops delivering (also the held events); safe to call from a handler and more than once. */
  stop(): void;
}

/**
 * Starts a job and hands its events, and only its events, to `handlers`. A connection gets every
 * job's events of the names it listens to, and a job's first ones can arrive before the start
 * call's answer says which job is ours, so the listeners go on before the request is sent and
 * hold what comes until the id is known: then `onStarted` runs, the held events of this job
 * replay in order, and the others' are dropped. Subscribing first is also what makes the server
 * send them at all: the listen message and the start request go over the same ordered channel
 * (socket, in-memory pair, the window's IPC), and the server applies a listen before it reads the
 * next message, so it listens before the job can emit. The one place the app waits for a job id;
 * works over any `ApiClient`.
 */
export function followJob<M extends JobMethodName>(
  client: ApiClient,
  method: M,
  input: Input<M>,
  handlers: JobHandlers,
  onStarted?: (output: Output<M>) => void,
): FollowedJob<M> {
  const jobOf = (output: Output<M>) => (output as { jobId: string }).jobId;
  return follow(client, method, input, handlers, jobOf, (payload) => (payload as { jobId: string }).jobId, onStarted);
}

/**
 * followJob for `training.start`, whose answer is the new Run and whose events name it by
 * `runId`: the run's first steps can come before the answer as well (a fast host, or the queue
 * starting it at once).
 */
export function followNewRun(
  client: ApiClient,
  input: Input<'training.start'>,
  handlers: RunHandlers,
  onStarted?: (run: Output<'training.start'>) => void,
): FollowedJob<'training.start'> {
  return follow(
    client,
    'training.start',
    input,
    handlers,
    (run) => run.id,
    (payload) => (payload as { runId: number }).runId,
    onStarted,
  );
}

/** The listeners, the holding and the replay behind followJob and followNewRun. */
function follow<M extends MethodName>(
  client: ApiClient,
  method: M,
  input: Input<M>,
  handlers: Partial<Record<EventName, (payload: never) => void>>,
  idOf: (output: Output<M>) => string | number,
  ownerOf: (payload: unknown) => string | number,
  onStarted?: (output: Output<M>) => void,
): FollowedJob<M> {
  let id: string | number | null = null;
  let stopped = false;
  const held: (() => void)[] = [];
  const offs = (Object.keys(handlers) as EventName[]).map((event) => {
    const handler = handlers[event] as (payload: unknown) => void;
    const deliver = (payload: unknown) => {
      if (!stopped && ownerOf(payload) === id) handler(payload);
    };
    return client.subscribe(event, (payload: unknown) => {
      if (stopped) return;
      if (id === null) held.push(() => deliver(payload));
      else deliver(payload);
    });
  });
  const stop = () => {
    stopped = true;
    held.length = 0;
    offs.splice(0).forEach((off) => off());
  };
  const started = client.invoke(method, input).then(
    (output) => {
      if (stopped) return output;
      try {
        id = idOf(output);
        onStarted?.(output);
        for (const replay of held.splice(0)) replay();
      } catch (error) {
        stop();
        throw error;
      }
      return output;
    },
    (error: unknown) => {
      stop();
      throw error;
    },
  );
  return { started, stop };
}
