/**
 * Addresses of the downloads serve mode offers beside the API, in one place for both ends: the
 * server routes them, the renderer links to them (adding the access token as for media).
 */
export const LABELED_EXPORT_PREFIX = '/api/labeled/';

/** `/api/labeled/3.tar.gz`: every labeled image of dataset 3 as `<dataset>-labeled/<class>/<file>`. */
export function labeledArchivePath(datasetId: number): string {
  return `${LABELED_EXPORT_PREFIX}${datasetId}.tar.gz`;
}

/** The dataset id of a labeled-export address, or null for anything else. */
export function parseLabeledArchivePath(pathname: string): number | null {
  const match = /^\/api\/labeled\/([1-9]\d{0,15})\.tar\.gz$/.exec(pathname);
  return match ? Number(match[1]) : null;
}
