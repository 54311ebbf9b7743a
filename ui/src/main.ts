// First: later imports (uPlot) format numbers while they load.
import './lib/locale';
import { mount } from 'svelte';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import App from './App.svelte';

// Errors that escape every handler are kept where a bug report (or the end-to-end test) can read them.
const uncaught: string[] = [];
(window as unknown as { __folioErrors: string[] }).__folioErrors = uncaught;
window.addEventListener('error', (e) => uncaught.push(`${e.message} at ${e.filename}:${e.lineno}`));
window.addEventListener('unhandledrejection', (e) => uncaught.push(`unhandled rejection: ${String(e.reason)}`));

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing');

export default mount(App, { target });
