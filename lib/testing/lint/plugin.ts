/// <reference lib="deno.unstable" />
/**
 * The project's own lint rules, run by `deno lint` (deno.json `lint.plugins`) and by
 * lib/testing/lint/plugin_test.ts over the whole tree:
 * - `kalshi/max-function-lines`: a function, arrow function or method of more than
 *   {@linkcode MAX_FUNCTION_LINES} lines holds several ideas; name them. Tests, test support
 *   (`testing/`) and recorded data (`testdata/`) are exempt.
 * @module
 */

/** The longest function body allowed outside tests, in lines (first to last line inclusive). */
export const MAX_FUNCTION_LINES = 120;

/** Whether a path is exempt from the length rule (tests and test support). */
export function exemptFromLength(path: string): boolean {
  return /_test\.tsx?$/.test(path) || /(^|\/)(testing|testdata)\//.test(path);
}

function lines(text: string, range: Deno.lint.Range): number {
  let n = 1;
  for (let i = range[0]; i < range[1]; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

const plugin: Deno.lint.Plugin = {
  name: "kalshi",
  rules: {
    "max-function-lines": {
      create(context) {
        if (exemptFromLength(context.filename)) return {};
        const check = (node: Deno.lint.Node) => {
          const n = lines(context.sourceCode.text, node.range);
          if (n <= MAX_FUNCTION_LINES) return;
          context.report({
            node,
            message: `function of ${n} lines (limit ${MAX_FUNCTION_LINES})`,
            hint: "it holds several ideas: give each a named function of its own",
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};

export default plugin;
