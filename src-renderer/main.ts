import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createIpcClient } from './api/ipc-client';
import type { StudioClient } from './api/studio-client';
import { apiClientKey } from './api/studio-client';
import { createWsClient, wsOptionsFromLocation } from './api/ws-client';
import { useAppStore } from './stores/app';
import './styles/base.css';

// The Electron preload exposes window.studio; a browser page talks to `serve` over WebSocket.
const client: StudioClient = window.studio ? createIpcClient(window.studio) : createWsClient(wsOptionsFromLocation(location));

const app = createApp(App);
const pinia = createPinia();
app.provide(apiClientKey, client);
app.use(pinia);

// Nothing may fail silently: uncaught errors end up as a message in the window.
const report = (err: unknown) => useAppStore(pinia).reportError(err, 'Unexpected error');
app.config.errorHandler = (err) => {
  console.error(err);
  report(err);
};
window.addEventListener('unhandledrejection', (event) => report(event.reason));
window.addEventListener('error', (event) => report(event.error ?? event.message));

app.mount('#app');
