/** Prediction scoring shared by the predictions service and the portal. @module */
export * from "./scoring.ts";
export * from "./comparison.ts";
