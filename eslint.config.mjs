// The project's lint: typescript-eslint's recommended rules and no import cycles (import-x/no-cycle), on the sources
// and tests; the generated apps, fixtures and build output are not ours to lint.
import tseslint from "typescript-eslint";
import importX, { createNodeResolver } from "eslint-plugin-import-x";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "out/**",
      "node_modules/**",
      "test/fixtures/**",
      ".test-output/**",
      "templates/patterns/**",
      "templates/app/**",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".d.ts", ".js", ".json"] })],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // `require` is how the code loads what must be loaded lazily or plainly (see the comments where it is used).
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // A variable declared before the closures that read it and assigned once later stays `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
);
