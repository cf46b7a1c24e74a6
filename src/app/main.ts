import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { sweepOldOutputs } from './output-files.js';
import { registerOfflineSupport } from './offline.js';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

// Outputs left in the origin-private file system by tabs that were closed.
void sweepOldOutputs();

// The service worker that keeps the built app working offline (not in dev).
registerOfflineSupport();

export default mount(App, { target });
