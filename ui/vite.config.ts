import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The UI runs inside Tauri's WebKitGTK webview: no network, one fixed dev port.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", sourcemap: false },
});
