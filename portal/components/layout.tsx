/** The page frame: header with navigation and search, main content, footer. Server-only. */
import type { ComponentChildren } from "preact";

/** Props of {@linkcode Layout}. */
export interface LayoutProps {
  title: string;
  /** URL of the hashed stylesheet. */
  stylesheet: string;
  /** URL of the client bundle when the page has islands. */
  script?: string;
  /** The logout form's CSRF token, when a password session is active. */
  logoutToken?: string;
  /** The signed-in user's name (App Service authentication). */
  user?: string;
  /** Current search text, echoed in the header's search box. */
  q?: string;
  children: ComponentChildren;
}

/** Renders a whole HTML document. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Kalshi data portal`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={props.stylesheet} />
        {props.script && <script type="module" src={props.script} />}
      </head>
      <body>
        <header class="site">
          <a class="brand" href="/">Kalshi data</a>
          <nav>
            <a href="/">Overview</a>
            <a href="/browse">Browse</a>
            <a href="/opportunities">Opportunities</a>
            <a href="/predictions">Predictions</a>
          </nav>
          <form class="search" method="get" action="/browse" role="search">
            <input
              type="search"
              name="q"
              value={props.q ?? ""}
              placeholder="Ticker or words of a title"
              aria-label="Search markets"
            />
            <button type="submit">Search</button>
          </form>
          {props.user && <span class="user">{props.user}</span>}
          {props.logoutToken && (
            <form method="post" action="/logout" class="logout">
              <input type="hidden" name="csrf" value={props.logoutToken} />
              <button type="submit">Log out</button>
            </form>
          )}
        </header>
        <main>{props.children}</main>
        <footer class="site">
          Read-only view of the capture database. Every page is also JSON under <code>/api</code>.
        </footer>
      </body>
    </html>
  );
}
