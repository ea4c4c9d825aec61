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
    rules: {
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      // Screens are drawn from lit-html templates (client.js draw), which escape every value;
      // markup from strings would bring back the escaping by hand this replaced.
      "no-restricted-syntax": ["error",
        { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]", message: "draw a lit-html template (client.js draw) instead" },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: "draw a lit-html template (client.js draw) instead" },
        { selector: "ImportSpecifier[imported.name='unsafeHTML']", message: "no raw markup: say why in a comment and disable this rule on that line if it is truly unavoidable" },
      ],
    },
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
