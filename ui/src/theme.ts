import { createSystem, defaultConfig, defineConfig } from "@chakra-ui/react";

/**
 * Airflow 3.0's UI builds on Chakra's default theme (system fonts, the blue palette for its nav);
 * this app does the same so both look alike, and names the request statuses' colours once.
 */
const config = defineConfig({
  globalCss: {
    "html, body": { bg: "bg", color: "fg" },
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
