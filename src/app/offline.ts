/// <reference types="vite-plugin-pwa/client" />
/**
 * Offline use: registers the Workbox service worker that vite-plugin-pwa generates at build time (vite.config.ts).
 * It precaches every built asset, onnxruntime-web's WebAssembly included, so a page visited once loads and runs
 * with no network. Nothing is registered in dev (the plugin's dev mode is off) or where the browser has no service
 * workers (e.g. file:// or a non-secure origin); the app works the same without it, just not offline.
 */
import { registerSW } from 'virtual:pwa-register';

export function registerOfflineSupport(): void {
  if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onRegisterError(e: unknown) {
      // Not fatal: the app runs without offline support. Shown in the console for whoever debugs it.
      console.warn('offline support unavailable: the service worker did not register', e);
    },
  });
}
