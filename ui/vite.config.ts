import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

/**
 * Tauri freezes Object.prototype (`app.security.freezePrototype`), so assigning a name
 * Object.prototype has (`constructor`, `toString`, `valueOf`) to an object that only
 * inherits it throws a TypeError. Three libraries under recharts do that when they load:
 * decimal.js-light (axis ticks) to its prototype object and its instances, d3-color to
 * its colour prototypes, d3-format to its format specifier's prototype. These patches
 * make those names the objects' own properties first, so the assignments land there.
 * A patch that no longer matches fails the build.
 */
const FROZEN_PROTOTYPE_PATCHES = [
  {
    module: /[\\/]decimal\.js-light[\\/]decimal\.m?js$/,
    from: "P = {};",
    to: "P = { constructor: undefined, toString: undefined, valueOf: undefined };",
  },
  {
    module: /[\\/]d3-color[\\/]dist[\\/]d3-color\.m?js$/,
    from: "prototype.constructor = constructor;",
    to: 'Object.defineProperty(prototype, "constructor", { value: constructor, writable: true, enumerable: true, configurable: true });',
  },
  {
    module: /[\\/]d3-format[\\/]dist[\\/]d3-format\.m?js$/,
    from: "FormatSpecifier.prototype.toString = function",
    to: 'Object.defineProperty(FormatSpecifier.prototype, "toString", { writable: true, configurable: true });\nFormatSpecifier.prototype.toString = function',
  },
];

function patchForFrozenPrototype(): Plugin {
  return {
    name: "studyhall:patch-for-frozen-prototype",
    transform(code, id) {
      const patch = FROZEN_PROTOTYPE_PATCHES.find(({ module }) => module.test(id));
      if (patch === undefined) return null;
      if (!code.includes(patch.from)) {
        this.error(`${id} no longer contains \`${patch.from}\`: check that charts work with Tauri's frozen Object.prototype, then update this patch.`);
      }
      return { code: code.replace(patch.from, patch.to), map: null };
    },
  };
}

// The UI runs inside Tauri's WebKitGTK webview: no network, one fixed dev port.
export default defineConfig({
  plugins: [react(), patchForFrozenPrototype()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", sourcemap: false },
});
