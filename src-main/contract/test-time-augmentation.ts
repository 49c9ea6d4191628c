/**
 * The test-time augmentations, listed once (engine/runtime/tta.ts runs them): 'none' the plain
 * forward pass; 'flip' also runs each image mirrored left-right and averages the two predicted
 * probabilities; 'flip-shift' also runs it moved 1 pixel up-left and down-right, each mirrored too.
 * The contract's schema, the engine's type and option check and the CLI's usage all read this list;
 * it imports nothing (no zod either), so the engine can load it without the contract's schemas.
 * storage's migration 6 froze a copy in its CHECK (test/contract/test-time-augmentation.test.ts
 * holds the two equal).
 */
export const TEST_TIME_AUGMENTATIONS = ['none', 'flip', 'flip-shift'] as const;
export type TestTimeAugmentation = (typeof TEST_TIME_AUGMENTATIONS)[number];
