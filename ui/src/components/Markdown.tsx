import { Box } from "@chakra-ui/react";
import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

import { allowedImageSources, imageHost, isImageAllowed } from "../utils/imageSources";

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * Keep only web and mail links and relative URLs; anything else (`javascript:`, `data:`,
 * `vbscript:`, ...) becomes an empty, inert URL.
 */
export const safeUrl = (url: string): string => {
  const trimmed = url.trim();
  // Control characters and whitespace inside a scheme are a classic way to hide `javascript:`.
  const compact = Array.from(trimmed)
    .filter((char) => char.charCodeAt(0) > 0x20 && char.charCodeAt(0) !== 0x7f)
    .join("");
  const scheme = /^([a-z][a-z0-9+.-]*):/iu.exec(compact);
  if (scheme === null) return trimmed;
  return SAFE_PROTOCOLS.has(`${(scheme[1] ?? "").toLowerCase()}:`) ? trimmed : "";
};

const INLINE_IMAGE = /^data:image\//iu;

/** Like {@link safeUrl}, but an image may also be inline (`data:image/...`: it loads nothing). */
const safeMarkdownUrl = (url: string, key: string): string =>
  key === "src" && INLINE_IMAGE.test(url.trim()) ? url.trim() : safeUrl(url);

// Read once: the server writes the allowed image origins into index.html.
const PAGE_IMAGE_SOURCES = allowedImageSources();

const componentsFor = (imageSources: readonly string[]): Components => ({
  a: ({ children, href }) =>
    href ? (
      <a href={href} rel="noopener noreferrer nofollow" target="_blank">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ alt, src, title }) => {
    const source = typeof src === "string" ? src : "";
    if (source === "") return alt ? <span>{alt}</span> : null;
    const origin = globalThis.location.origin;
    if (isImageAllowed(source, imageSources, origin)) {
      return <img alt={alt ?? ""} loading="lazy" referrerPolicy="no-referrer" src={source} title={title} />;
    }
    // Loading it would tell that host who opened the request, and when.
    return (
      <span data-blocked-image="" title={source}>
        {alt ? `${alt} ` : ""}
        <Box as="span" color="fg.muted" fontSize="sm">
          (image from {imageHost(source, origin)}, not loaded)
        </Box>
      </span>
    );
  },
});

/**
 * Markdown written by a DAG author, rendered without raw HTML (react-markdown shows it as
 * text unless a raw-HTML plugin is added, and none is) and with unsafe URLs dropped. Images load
 * only from this origin, inline `data:image/...` and the `imageSources` (by default the
 * `[hitl] allowed_image_hosts` the server announced); any other is shown as its alt text with a
 * note naming its host.
 */
export const Markdown = ({
  children,
  imageSources = PAGE_IMAGE_SOURCES,
}: {
  children: string;
  imageSources?: readonly string[];
}) => (
  <Box
    className="markdown"
    css={{
      "& a": { color: "brand.fg", textDecoration: "underline" },
      "& blockquote": { borderLeftWidth: "4px", color: "fg.muted", my: 2, pl: 3 },
      "& code": { bg: "bg.muted", borderRadius: "sm", fontFamily: "mono", fontSize: "0.9em", px: 1 },
      "& h1, & h2, & h3, & h4": { fontWeight: "semibold", mb: 2, mt: 3 },
      "& h1": { fontSize: "xl" },
      "& h2": { fontSize: "lg" },
      "& img": { display: "inline-block", maxWidth: "100%" },
      "& li": { my: 0.5 },
      "& ol": { pl: 6 },
      "& p": { my: 2 },
      "& pre": { bg: "bg.muted", borderRadius: "md", my: 2, overflowX: "auto", p: 3 },
      "& pre code": { bg: "transparent", px: 0 },
      "& table": { borderCollapse: "collapse", my: 2 },
      "& td, & th": { borderWidth: "1px", px: 2, py: 1 },
      "& ul": { listStyleType: "disc", pl: 6 },
    }}
  >
    <ReactMarkdown
      components={componentsFor(imageSources)}
      remarkPlugins={[remarkGfm]}
      skipHtml={false}
      urlTransform={safeMarkdownUrl}
    >
      {children}
    </ReactMarkdown>
  </Box>
);
