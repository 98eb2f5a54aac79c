/**
 * RabbitMQ's optional "jobs ready" wake-up: the publisher (rest_service) and the consumer
 * (worker_service); workers fall back to polling when no broker is configured or it is down.
 * @module
 */

export { startJobsConsumer } from "./consumer.ts";
export { createJobsPublisher } from "./publisher.ts";
export { type JobsConsumer } from "./consumer.ts";
export { type JobsConsumerOptions } from "./consumer.ts";
export { type JobsPublisher } from "./publisher.ts";
export { type PublisherOptions } from "./publisher.ts";
export { type JobsReady } from "./topology.ts";
