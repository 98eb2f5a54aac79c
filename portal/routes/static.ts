/** `GET /static/build/{file}`: hashed assets from memory, cached for a year (immutable). */
import type { PortalDeps, PortalHandler } from "../deps.ts";

/** GET `/static/build/{file}`. */
export function staticAsset(deps: PortalDeps): PortalHandler {
  return (c) => {
    const asset = deps.assets.get(c.req.param("file") ?? "");
    if (!asset) {
      return c.text("Not found\n", 404, { "Cache-Control": "no-store" });
    }
    return new Response(asset.body as BodyInit, {
      headers: {
        "Content-Type": asset.contentType,
        "Cache-Control": "public, max-age=31536000, immutable",
      },
    });
  };
}
