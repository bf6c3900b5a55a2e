import { createSystem, defaultConfig, defineConfig } from "@chakra-ui/react";

import { APP_ROOT_ID } from "./frame/page";

/**
 * Airflow 3.0's UI builds on Chakra's default theme (system fonts, the blue palette for its nav);
 * this app does the same so both look alike, and names the request statuses' colours once.
 *
 * Inside Airflow's page both Chakra systems are in one document: this one's CSS variables get
 * their own prefix, so neither overrides the other's tokens, and it adds no reset or page
 * styles there (Airflow's apply). Dark mode is Chakra's `.dark` class on <html>, which Airflow's
 * colour-mode setting sets.
 */
const config = defineConfig({
  cssVarsPrefix: "hitl",
  globalCss: {
    // Phones: every control is a touch target of at least 44 px (WCAG 2.5.5), and long ids
    // (run ids, DAG ids) wrap rather than widen the page.
    [`#${APP_ROOT_ID}`]: { overflowWrap: { base: "anywhere", md: "normal" } },
    [`#${APP_ROOT_ID} :is(button, [role=tab], select, textarea, input:not([type=checkbox], [type=radio]))`]: {
      minHeight: { base: "44px", md: "unset" },
    },
  },
  theme: {
    semanticTokens: {
      colors: {
        brand: {
          solid: { value: { _dark: "{colors.blue.500}", _light: "{colors.blue.600}" } },
          muted: { value: { _dark: "{colors.blue.900}", _light: "{colors.blue.100}" } },
          fg: { value: { _dark: "{colors.blue.300}", _light: "{colors.blue.700}" } },
        },
      },
    },
  },
});

/** The app in a page of its own (the dev server, or where Airflow's markup was not found). */
export const system = createSystem(
  defaultConfig,
  config,
  defineConfig({ globalCss: { "html, body": { bg: "bg", color: "fg" } } }),
);

/** The app inside Airflow's page. */
export const framedSystem = createSystem(defaultConfig, config, defineConfig({ preflight: false }));
