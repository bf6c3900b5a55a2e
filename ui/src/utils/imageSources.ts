/**
 * Which images a request body may load. Opening a request must not tell a third party who read it
 * and when, so only images of this origin and inline `data:image/...` ones are loaded, plus those
 * of the origins in `[hitl] allowed_image_hosts`. The API server puts those origins (normalized,
 * e.g. `https://images.example.com`, `https://*.example.org`, `http://localhost:9000`) into the
 * page's `img-src` Content-Security-Policy and into this meta tag of `index.html`.
 */
export const IMAGE_SOURCES_META = "hitl-allowed-image-sources";

/** The allowed image origins the server announced in the page (none when it announced none). */
export const allowedImageSources = (doc: Document = document): string[] =>
  (doc.querySelector(`meta[name="${IMAGE_SOURCES_META}"]`)?.getAttribute("content") ?? "")
    .split(/\s+/u)
    .filter((source) => source !== "");

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };
const SOURCE = /^(https?:)\/\/(\*\.)?([^/:*]+)(?::(\d+))?$/iu;

const matchesSource = (url: URL, source: string): boolean => {
  const parts = SOURCE.exec(source);
  if (parts === null) return false;
  const [, scheme = "", wildcard, host = "", port] = parts;
  if (url.protocol !== scheme.toLowerCase()) return false;
  if ((url.port || DEFAULT_PORTS[url.protocol]) !== (port ?? DEFAULT_PORTS[url.protocol])) return false;
  const wanted = host.toLowerCase();
  // As in a CSP host source, `*.example.org` covers its subdomains, not `example.org` itself.
  return wildcard === undefined ? url.hostname === wanted : url.hostname.endsWith(`.${wanted}`);
};

/**
 * Whether the image at `src` may be loaded: an inline `data:image/...`, an image of `origin`
 * (relative URLs are), or one of the `sources`.
 */
export const isImageAllowed = (src: string, sources: readonly string[], origin: string): boolean => {
  let url: URL;
  try {
    url = new URL(src, origin);
  } catch {
    return false;
  }
  if (url.protocol === "data:") return /^data:image\//iu.test(src.trim());
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return url.origin === origin || sources.some((source) => matchesSource(url, source));
};

/** The host to name when an image is not loaded (the URL itself when it has none). */
export const imageHost = (src: string, origin: string): string => {
  try {
    return new URL(src, origin).host || src;
  } catch {
    return src;
  }
};
