import type { BackendInfoView, EventSink } from '../contract';
import type { MlHost } from '../ml-host/client';

/**
 * Which tfjs backend the ML host runs. Learned the first time anything needs the backend (the
 * `app.backend` call, or the first training, evaluation or prediction), then announced once with
 * an `app.backend` event so the backend indicator fills in.
 */
export class BackendTracker {
  private known: BackendInfoView | null = null;
  private pending: Promise<BackendInfoView> | null = null;

  constructor(
    private readonly host: MlHost,
    private readonly events: EventSink,
  ) {}

  get info(): BackendInfoView | null {
    return this.known;
  }

  ensure(): Promise<BackendInfoView> {
    if (this.known) return Promise.resolve(this.known);
    this.pending ??= this.host
      .call('initBackend', {})
      .then((info) => {
        this.known = info;
        this.events.emit('app.backend', { backend: info });
        return info;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  /** For work that needs the backend anyway: learn it on the side, never fail the work because of it. */
  learnInBackground(): void {
    if (!this.known) this.ensure().catch(() => undefined);
  }
}
