/** Configuration: settings from flags and environment, validated with zod, with `--help`. @module */
export * from "./config.ts";
export * from "./values.ts";
