/**
 * Marks an island: the component renders on the server inside a `data-island` element whose
 * `data-props` carries its JSON props; the client entry (portal/client.ts) hydrates it. Pages
 * without an island get no script at all (see render.tsx).
 */
import type { ComponentType } from "preact";

/** Props of {@linkcode Island}. */
export interface IslandProps<P> {
  /** The name the client entry registers the component under. */
  name: string;
  /** The island component (from portal/islands/). */
  component: ComponentType<P>;
  /** Its props: JSON-serialisable. */
  props: P;
}

/** Renders `component` server-side inside its hydration marker. */
export function Island<P>({ name, component: Component, props }: IslandProps<P>) {
  return (
    <div data-island={name} data-props={JSON.stringify(props)}>
      {/* @ts-ignore: props are the component's own */}
      <Component {...props} />
    </div>
  );
}
