import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderWithProviders } from "../test/render";
import { Markdown, safeUrl } from "./Markdown";

/** The rendered Markdown's own element (the providers add elements of their own around it). */
const renderMarkdown = (text: string): Element => {
  const element = renderWithProviders(<Markdown>{text}</Markdown>).container.querySelector(".markdown");
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
