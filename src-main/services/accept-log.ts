import { randomUUID } from 'node:crypto';
import { ApiError } from '../contract';
import type { AcceptRecord, Storage } from '../storage';

/** Undo keeps the last few accepts (an undo is offered right after the accept). */
const KEPT_ACCEPTS = 20;

/**
 * Accepts that can be taken back: each records exactly what it changed, so the undo puts back
 * only that. Shared by accepting a folder's predictions and accepting the labeling view's
 * suggestions. The records live in the database, so an undo outlives a restart of the app.
 */
export class AcceptLog {
  constructor(private readonly storage: Storage) {}

  /** Keeps `record` and returns the id its undo names. */
  add(record: AcceptRecord): string {
    const acceptId = randomUUID();
    this.storage.predictions.keepAccept(acceptId, record, KEPT_ACCEPTS);
    return acceptId;
  }

  /** The record of `acceptId`, removed from the log. */
  take(acceptId: string): AcceptRecord {
    const record = this.storage.predictions.takeAccept(acceptId);
    if (!record)
      throw new ApiError('not-found', `That accept can no longer be undone (it was undone already, or is older than the last ${KEPT_ACCEPTS} accepts)`);
    return record;
  }
}
