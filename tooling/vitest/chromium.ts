// The headless Chromium dl's browser tests run in: Debian's, with WebGPU on SwiftShader and
// no network (see DESIGN.md). Shared by the Vitest projects and scripts that drive it.

/** Chromium flags for WebGPU on SwiftShader without a GPU or network. */
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // globalThis.gc, for tests that check what the collector can free mid-loop.
  '--js-flags=--expose-gc',
];

export const chromiumPath = process.env['DL_CHROMIUM_PATH'] ?? '/usr/bin/chromium';
