/** The CI fuzz seed (shared by test/fuzz/ci.ts and npm run fuzz, which must not import vitest). */
export const CI_SEED = 20_250_808;
