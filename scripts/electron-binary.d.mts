export declare function electronBinary(root: string): { path: string; reason?: undefined } | { path?: undefined; reason: string };
