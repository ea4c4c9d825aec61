// Front-end lint (npm run lint; make test and CI run it): the recommended rules on the PWA's and
// the console's sources, as browser ES modules (sw.js: a service worker).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/pwa/dist/**", "static/pwa/dist.tmp/**"] },
  js.configs.recommended,
  {
    files: ["static/pwa/src/**/*.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.browser } },
    rules: { "no-unused-vars": ["error", { caughtErrors: "none" }] },
  },
  {
    files: ["static/pwa/src/sw.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ["static/pwa/build.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
  },
];
