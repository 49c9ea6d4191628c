import type { Metafile } from 'esbuild';

export declare const EXTERNAL: string[];
export declare const ENTRIES: { name: 'main' | 'preload' | 'ml-host' | 'replica-worker' | 'bmp-worker'; entry: string; out: string }[];
export declare function buildMain(options?: {
  only?: ('main' | 'preload' | 'ml-host' | 'replica-worker' | 'bmp-worker')[];
  outDir?: string;
  quiet?: boolean;
}): Promise<Record<string, Metafile>>;
