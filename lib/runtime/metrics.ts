/** A small Prometheus registry: counters and gauges with labels, rendered as text format 0.0.4. */

/** Label names to values. */
export type Labels = Record<string, string>;

/** A metric family that can be rendered. */
interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples(): Iterable<[Labels, number | bigint]>;
}

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `by` (default 1) to the series with `labels`. */
  inc(labels?: Labels, by?: number): void;
  /** Current value of the series with `labels`. */
  get(labels?: Labels): number;
}

/** A value that goes up and down. */
export interface Gauge {
  /** Sets the series with `labels`. */
  set(value: number, labels?: Labels): void;
  /** Current value of the series with `labels`. */
  get(labels?: Labels): number;
}

/** A registry of metric families. */
export interface Metrics {
  /** Registers (or returns) a counter. */
  counter(name: string, help: string): Counter;
  /** Registers (or returns) a gauge. */
  gauge(name: string, help: string): Gauge;
  /** Registers a gauge whose samples are read at render time. */
  collect(name: string, help: string, read: () => Iterable<[Labels, number | bigint]>): void;
  /** Renders every family in Prometheus text format. */
  render(): Promise<string>;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function series(family: Family): Map<string, [Labels, number]> & Family {
  return Object.assign(new Map<string, [Labels, number]>(), family);
}

/** Creates an empty registry. */
export function createMetrics(): Metrics {
  const families = new Map<string, Family>();
  const valued = (name: string, help: string, type: "counter" | "gauge") => {
    const existing = families.get(name) as ReturnType<typeof series> | undefined;
    if (existing) return existing;
    const values = series({ name, help, type, samples: () => values.values() });
    families.set(name, values);
    return values;
  };
  return {
    counter(name, help) {
      const values = valued(name, help, "counter");
      return {
        inc(labels = {}, by = 1) {
          const k = key(labels);
          values.set(k, [labels, (values.get(k)?.[1] ?? 0) + by]);
        },
        get: (labels = {}) => values.get(key(labels))?.[1] ?? 0,
      };
    },
    gauge(name, help) {
      const values = valued(name, help, "gauge");
      return {
        set(value, labels = {}) {
          values.set(key(labels), [labels, value]);
        },
        get: (labels = {}) => values.get(key(labels))?.[1] ?? 0,
      };
    },
    collect(name, help, read) {
      families.set(name, { name, help, type: "gauge", samples: read });
    },
    render() {
      const out: string[] = [];
      for (const f of families.values()) {
        out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
        for (const [labels, value] of f.samples()) {
          const entries = Object.entries(labels);
          const text = entries.length
            ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`
            : "";
          out.push(`${f.name}${text} ${value}`);
        }
      }
      return Promise.resolve(out.join("\n") + "\n");
    },
  };
}
