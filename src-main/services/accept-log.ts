import { randomUUID } from 'node:crypto';
import { ApiError } from '../contract';
import type { AcceptRecord } from '../storage';

/** Undo keeps the last few accepts of this session (an undo is offered right after the accept). */
const KEPT_ACCEPTS = 20;

/**
 * Accepts that can be taken back: each records exactly what it changed, so the undo puts back
 * only that. Shared by accepting a folder's predictions and accepting the labeling view's suggestions.
 */
export class AcceptLog {
  private readonly records = new Map<string, AcceptRecord>();

  /** Keeps `record` and returns the id its undo names. */
  add(record: AcceptRecord): string {
    const acceptId = randomUUID();
    this.records.set(acceptId, record);
    while (this.records.size > KEPT_ACCEPTS) this.records.delete(this.records.keys().next().value as string);
    return acceptId;
  }

  /** The record of `acceptId`, removed from the log. */
  take(acceptId: string): AcceptRecord {
    const record = this.records.get(acceptId);
    if (!record) throw new ApiError('not-found', 'That accept can no longer be undone (it was undone already, or the app restarted since)');
    this.records.delete(acceptId);
    return record;
  }
}
