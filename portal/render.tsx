/** Turns page components into complete responses, and errors into 4xx/5xx pages or JSON. */
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { Layout } from "./components/layout.tsx";
import type { PortalContext, PortalDeps } from "./deps.ts";

/** A page to render. */
export interface Page {
  title: string;
  body: VNode;
  /** Search text to echo in the header. */
  q?: string;
  status?: number;
  headers?: Record<string, string>;
}

/**
 * Renders `page` inside the layout. The client bundle is linked only when the body contains an
 * island marker, so pages without islands ship no JavaScript.
 */
export function renderPage(c: PortalContext, deps: PortalDeps, page: Page): Response {
  const body = renderToString(page.body);
  const hasIsland = body.includes('data-island="');
  const document = renderToString(
    <Layout
      title={page.title}
      stylesheet={deps.assets.url("styles.css")}
      script={hasIsland ? deps.assets.url("client.js") : undefined}
      logoutToken={c.get("logoutToken")}
      user={c.get("user")}
      q={page.q}
    >
      <div class="page" dangerouslySetInnerHTML={{ __html: body }} />
    </Layout>,
  );
  return new Response("<!doctype html>" + document, {
    status: page.status ?? 200,
    headers: { "Content-Type": "text/html; charset=utf-8", ...page.headers },
  });
}

/** Whether the request is for the JSON API. */
export function isApi(c: PortalContext): boolean {
  return c.req.path === "/api" || c.req.path.startsWith("/api/");
}

/** An error answer: JSON under /api, a page elsewhere. */
export function errorResponse(
  c: PortalContext,
  deps: PortalDeps,
  error: {
    status: number;
    title: string;
    message: string;
    param?: string;
    /** Extra headers, e.g. Retry-After. */
    headers?: Record<string, string>;
  },
): Response {
  const headers = { "Cache-Control": "no-store", ...error.headers };
  if (isApi(c)) {
    return Response.json({
      error: { status: error.status, message: error.message, param: error.param },
    }, { status: error.status, headers });
  }
  return renderPage(c, deps, {
    title: error.title,
    status: error.status,
    headers,
    body: (
      <section class="error">
        <h1>{error.title}</h1>
        <p>{error.message}</p>
        <p>
          <a href="/">Back to the overview</a>
        </p>
      </section>
    ),
  });
}
