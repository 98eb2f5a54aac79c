/**
 * The launch step: least-privilege Deno flags derived from a command's settings, the registry of
 * runnables, dependency install, and the supervised whole system (`deno task start`).
 * @module
 */

export { installDependencies } from "./install.ts";
export { planLaunch, PROJECT_ROOT } from "./launch.ts";
export { planPermissions } from "./permissions.ts";
export { RUNNABLES } from "./registry.ts";
export { chosenServices, runSystem } from "./system.ts";
export { type InstallOptions } from "./install.ts";
export { type LaunchPlan } from "./launch.ts";
export { type PermissionPlan } from "./permissions.ts";
export { type PlanOptions } from "./launch.ts";
export { type Runnable } from "./registry.ts";
export { type SystemOptions } from "./system.ts";
export { type PrepareStep } from "./registry.ts";
