export declare const ABI_MODULES: string[];
export declare function rebuildNativeModules(root: string): Promise<void>;
