import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderWithProviders } from "../test/render";
import { allowedImageSources, IMAGE_SOURCES_META, isImageAllowed } from "../utils/imageSources";
import { Markdown, safeUrl } from "./Markdown";

/** The rendered Markdown's own element (the providers add elements of their own around it). */
const renderMarkdown = (text: string, imageSources?: string[]): Element => {
  const element = renderWithProviders(<Markdown imageSources={imageSources}>{text}</Markdown>).container.querySelector(
    ".markdown",
  );
  if (element === null) throw new Error("Markdown rendered no .markdown element");
  return element;
};

describe("Markdown", () => {
  it("renders Markdown formatting", () => {
    renderMarkdown("The report has **1280** rows.\n\n- one\n- two");
    expect(screen.getByText("1280").tagName).toBe("STRONG");
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
  });

  it("does not create script elements from raw HTML", () => {
    const container = renderMarkdown('Hello <script>window.hacked = true</script>\n\n<script>alert(1)</script>');
    expect(container.querySelector("script")).toBeNull();
    expect((globalThis as { hacked?: boolean }).hacked).toBeUndefined();
  });

  it("does not create elements with event handlers from raw HTML", () => {
    const container = renderMarkdown('<img src="x" onerror="window.hacked = true">\n\ntext <b onclick="alert(1)">b</b>');
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("[onerror], [onclick]")).toBeNull();
  });

  it("makes javascript: links inert and keeps web links", () => {
    renderMarkdown("[bad](javascript:alert(1)) and [good](https://example.com/x) and [sneaky](JaVaScRiPt:alert(1))");
    const bad = screen.getByText("bad");
    expect(bad.closest("a")?.getAttribute("href") ?? "").not.toMatch(/script/iu);
    expect(screen.getByText("sneaky").closest("a")?.getAttribute("href") ?? "").not.toMatch(/script/iu);
    const good = screen.getByRole("link", { name: "good" });
    expect(good).toHaveAttribute("href", "https://example.com/x");
    expect(good).toHaveAttribute("rel", expect.stringContaining("noopener"));
  });

  it("drops unsafe image sources", () => {
    const container = renderMarkdown("![pic](javascript:alert(1))");
    expect(container.querySelector("img")?.getAttribute("src") ?? "").toBe("");
  });
});

const here = globalThis.location.origin;

describe("Markdown images", () => {
  const GREEN = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

  it("shows an image of another host as its alt text and a note naming the host, not as an image", () => {
    const container = renderMarkdown("Tracked: ![pixel](https://tracker.example/p.png)");
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector('[src*="tracker.example"]')).toBeNull();
    expect(container).toHaveTextContent("pixel (image from tracker.example, not loaded)");
    expect(container.querySelector("[data-blocked-image]")).toHaveAttribute("title", "https://tracker.example/p.png");
  });

  it("shows inline data: images and images of this origin", () => {
    const container = renderMarkdown(`![dot](${GREEN}) ![icon](/required_actions/favicon.svg) ![own](${here}/x.png)`);
    const sources = Array.from(container.querySelectorAll("img"), (img) => img.getAttribute("src"));
    expect(sources).toEqual([GREEN, "/required_actions/favicon.svg", `${here}/x.png`]);
    expect(screen.getByAltText("dot")).toHaveAttribute("referrerpolicy", "no-referrer");
  });

  it("shows images of the allowed origins only, by scheme, host and port", () => {
    const allowed = ["https://images.example.com", "https://*.cdn.example.org", "http://localhost:9000"];
    const container = renderMarkdown(
      [
        "![a](https://images.example.com/a.png)",
        "![b](https://eu.cdn.example.org/b.png)",
        "![c](http://localhost:9000/c.png)",
        "![d](http://images.example.com/d.png)",
        "![e](https://images.example.com:8443/e.png)",
        "![f](https://cdn.example.org/f.png)",
        "![g](https://images.example.com.evil.example/g.png)",
      ].join(" "),
      allowed,
    );
    expect(Array.from(container.querySelectorAll("img"), (img) => img.getAttribute("alt"))).toEqual(["a", "b", "c"]);
    expect(container.querySelectorAll("[data-blocked-image]")).toHaveLength(4);
  });

  it("does not load data: URLs that are not images, nor keep data: links", () => {
    const container = renderMarkdown("![page](data:text/html,<b>x</b>) [link](data:image/png;base64,AAAA)");
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByText("link").closest("a")?.getAttribute("href") ?? "").toBe("");
  });
});

describe("allowedImageSources", () => {
  it("reads the origins the server named in the page, and none without the meta tag", () => {
    const page = document.implementation.createHTMLDocument();
    expect(allowedImageSources(page)).toEqual([]);
    const meta = page.createElement("meta");
    meta.setAttribute("name", IMAGE_SOURCES_META);
    meta.setAttribute("content", "https://images.example.com  http://localhost:9000");
    page.head.append(meta);
    expect(allowedImageSources(page)).toEqual(["https://images.example.com", "http://localhost:9000"]);
  });
});

describe("isImageAllowed", () => {
  it("refuses other schemes and protocol-relative URLs of other hosts, and matches wildcard origins", () => {
    expect(isImageAllowed("javascript:alert(1)", [], here)).toBe(false);
    expect(isImageAllowed("blob:https://x/y", [], here)).toBe(false);
    expect(isImageAllowed("//tracker.example/p.png", [], here)).toBe(false);
    expect(isImageAllowed("https://a.example.org/p.png", ["https://*.example.org"], here)).toBe(true);
  });
});

describe("safeUrl", () => {
  it.each([
    ["https://example.com", "https://example.com"],
    ["mailto:a@example.com", "mailto:a@example.com"],
    ["/dags/x", "/dags/x"],
    ["#top", "#top"],
    ["javascript:alert(1)", ""],
    [" JAVASCRIPT:alert(1)", ""],
    ["java\u0000script:alert(1)", ""],
    ["data:text/html,<script>alert(1)</script>", ""],
    ["vbscript:msgbox", ""],
  ])("%j -> %j", (input, expected) => {
    expect(safeUrl(input)).toBe(expected);
  });
});
