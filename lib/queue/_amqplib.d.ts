// The subset of amqplib this project uses. Declared here instead of using @types/amqplib,
// which pulls @types/node into every program that imports amqplib and changes the signatures
// of node: modules project-wide (lib/testing/assert.ts stops type-checking).

/** A delivered message. */
export interface Message {
  content: Uint8Array;
}

/** A channel. */
export interface Channel {
  on(event: "error" | "close", listener: (error?: unknown) => void): void;
  assertExchange(name: string, type: string, options?: { durable?: boolean }): Promise<unknown>;
  assertQueue(
    name: string,
    options?: { exclusive?: boolean; autoDelete?: boolean; durable?: boolean },
  ): Promise<{ queue: string }>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: Message | null) => void): Promise<unknown>;
  ack(message: Message): void;
  publish(exchange: string, routingKey: string, content: Uint8Array): boolean;
  close(): Promise<void>;
}

/** A channel with publisher confirms. */
export interface ConfirmChannel extends Channel {
  waitForConfirms(): Promise<void>;
}

/** A connection. */
export interface ChannelModel {
  on(event: "error" | "close", listener: (error?: unknown) => void): void;
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  close(): Promise<void>;
}

/** Opens a connection. */
export function connect(url: string): Promise<ChannelModel>;

declare const amqplib: { connect: typeof connect };
export default amqplib;
