import { z } from 'zod';

/** Database row id: a positive integer. */
export const id = z.number().int().positive();
/** ISO-8601 timestamp. */
export const timestamp = z.string();
export const empty = z.strictObject({});
/** A folder or file path as the person typed or picked it. */
export const pathString = z.string().trim().min(1, 'A path is required');
export const name = z.string().trim().min(1, 'A name is required').max(200);
export const probability = z.number().min(0).max(1);
export const page = {
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
};
export const jobId = z.string().min(1);
/** A file as CSV or JSON text, for the client to save. */
export const exportedFile = z.object({ filename: z.string(), content: z.string() });
