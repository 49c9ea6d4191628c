import { openDatabase, type Db } from './database';
import { DatasetsRepo } from './datasets-repo';
import { EvaluationsRepo } from './evaluations-repo';
import { ImagesRepo } from './images-repo';
import { PredictionsRepo } from './predictions-repo';
import { RunsRepo } from './runs-repo';
import { AuditsRepo } from './audits-repo';
import { SuggestionsRepo } from './suggestions-repo';

export type { Db } from './database';
export * from './datasets-repo';
export * from './evaluations-repo';
export * from './images-repo';
export * from './migrations';
export * from './predictions-repo';
export * from './runs-repo';
export * from './audits-repo';
export * from './suggestions-repo';

/** The app database and one repository per table family. */
export class Storage {
  readonly datasets: DatasetsRepo;
  readonly images: ImagesRepo;
  readonly runs: RunsRepo;
  readonly evaluations: EvaluationsRepo;
  readonly predictions: PredictionsRepo;
  readonly suggestions: SuggestionsRepo;
  readonly audits: AuditsRepo;

  constructor(readonly db: Db) {
    this.datasets = new DatasetsRepo(db);
    this.images = new ImagesRepo(db);
    this.runs = new RunsRepo(db);
    this.evaluations = new EvaluationsRepo(db);
    this.predictions = new PredictionsRepo(db);
    this.suggestions = new SuggestionsRepo(db);
    this.audits = new AuditsRepo(db);
  }

  static open(file: string): Storage {
    return new Storage(openDatabase(file));
  }

  close(): void {
    this.db.close();
  }
}
