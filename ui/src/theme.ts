import { createSystem, defaultConfig, defineConfig } from "@chakra-ui/react";

/** The element the app renders into (in Airflow's page or a page of its own). */
export const APP_ROOT_ID = "hitl-app";

/**
 * Airflow 3.0's UI builds on Chakra's default theme (system fonts, the blue palette for its nav);
 * this app does the same so both look alike, and names the request statuses' colours once.
 */
const config = defineConfig({
  globalCss: {
    "html, body": { bg: "bg", color: "fg" },
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

export const system = createSystem(defaultConfig, config);
